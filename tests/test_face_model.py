import numpy as np

from emohead.face import blendshapes as bs
from emohead.face.geometry import apply_pose, euler_to_matrix, matrix_to_euler
from emohead.face.ibug68 import MESH_TO_IBUG68, mouth_opening, to_ibug68
from emohead.face.model import FaceModel, canonicalize


def test_pose_round_trip():
    fm = FaceModel.default()
    angles = np.array([0.1, -0.25, 0.05])
    assert np.allclose(matrix_to_euler(euler_to_matrix(angles)), angles)
    pts = 80 * fm.template @ euler_to_matrix(angles).T + [120, 130, 0]
    canon, pose = canonicalize(pts, fm.template)
    assert np.allclose(pose, [0.1, -0.25, 0.05, 120, 130, 80], atol=1e-6)
    assert np.allclose(apply_pose(canon[None], pose[None])[0, :, :2], pts[:, :2], atol=1e-6)


def test_identity_neutral_survives_a_change_of_expression(demo_face):
    """Render the demo face smiling with raised brows, analyse that frame afresh: its canonical mesh moves,
    but the identity's neutral shape recovered through the measured blendshapes and the basis stays."""
    from emohead.face.analyze import analyze_portrait
    from emohead.render.warp import WarpRenderer

    w = demo_face.blendshapes.copy()
    for name, v in (("mouthSmileLeft", 0.8), ("mouthSmileRight", 0.8), ("browInnerUp", 0.7), ("jawOpen", 0.25)):
        w[bs.INDEX[name]] = v
    mesh = demo_face.face_model.mesh(demo_face.neutral, w[None], demo_face.pose[None])[0]
    again = analyze_portrait(WarpRenderer(demo_face).render(mesh), 256)
    moved = np.linalg.norm(again.canonical - demo_face.canonical, axis=1).mean()
    kept = np.linalg.norm(again.neutral - demo_face.neutral, axis=1).mean()
    assert moved > 0.01 and kept < 0.5 * moved


def test_save_load_gives_identical_meshes(tmp_path, demo_face):
    fm = demo_face.face_model
    fm.save(tmp_path / "fm")
    again = FaceModel.load(tmp_path / "fm")
    w = np.random.default_rng(0).uniform(0, 1, (3, bs.COUNT)).astype(np.float32)
    assert np.array_equal(fm.canonical(demo_face.neutral, w), again.canonical(demo_face.neutral, w))
    assert again.info["frames"] == fm.info["frames"] > 1000


def _one(name, value=1.0):
    w = np.zeros((1, bs.COUNT), np.float32)
    w[0, bs.INDEX[name]] = value
    return w


def test_channels_move_the_right_parts_of_the_face():
    fm = FaceModel.default()
    t = fm.template
    rest = to_ibug68(fm.canonical(t, np.zeros((1, bs.COUNT))))[0]
    jaw = to_ibug68(fm.canonical(t, _one("jawOpen")))[0]
    assert mouth_opening(jaw) > mouth_opening(rest) + 0.2 and jaw[8, 1] > rest[8, 1] + 0.05  # lips part, chin drops
    smile = to_ibug68(fm.canonical(t, _one("mouthSmileLeft") + _one("mouthSmileRight")))[0]
    assert smile[54, 0] - smile[48, 0] > rest[54, 0] - rest[48, 0] + 0.03 and smile[54, 1] < rest[54, 1]  # wider, corners up
    brows = to_ibug68(fm.canonical(t, _one("browInnerUp")))[0]
    assert brows[21, 1] < rest[21, 1] - 0.02  # y grows downward
    frown = to_ibug68(fm.canonical(t, _one("mouthFrownLeft") + _one("mouthFrownRight")))[0]
    assert frown[48, 1] > rest[48, 1] + 0.03 and frown[54, 1] > rest[54, 1] + 0.03
    sneer = fm.canonical(t, _one("noseSneerLeft"))[0]
    assert sneer[358, 1] < t[358, 1] - 0.02 and abs(sneer[129, 1] - t[129, 1]) < 0.01  # left nostril only


def test_blink_closes_the_eyelids():
    fm = FaceModel.default()
    t = fm.template
    lm = to_ibug68(fm.canonical(t, _one("eyeBlinkLeft") + _one("eyeBlinkRight")))[0]
    rest = to_ibug68(t[None])[0]
    for upper, lower in ((37, 41), (38, 40), (43, 47), (44, 46)):
        assert abs(lm[lower, 1] - lm[upper, 1]) < 0.15 * abs(rest[lower, 1] - rest[upper, 1])


def test_ibug_mapping_is_ordered_like_ibug():
    fm = FaceModel.default()
    lm = to_ibug68(fm.template)
    assert len(set(MESH_TO_IBUG68.tolist())) == 68
    assert np.all(np.diff(lm[0:9, 1]) > -0.02) and lm[8, 1] == lm[:, 1].max()  # jaw runs down to the chin
    assert lm[36, 0] < lm[39, 0] < lm[42, 0] < lm[45, 0]  # eye corners left to right in the image
    assert lm[48, 0] < lm[51, 0] < lm[54, 0] and lm[51, 1] < lm[57, 1]


def test_display_gain_enlarges_a_requested_expression_and_leaves_the_rest_and_the_lips_alone(demo_face):
    """The shipped display gain (2) draws a departure from the rest larger than the basis alone, reproduces the
    rest itself exactly, and never changes the inner-lip gap (speech owns it)."""
    from emohead.emotion.prototypes import load_prototypes
    from emohead.face.model import INNER_LIPS

    fm = demo_face.face_model
    assert fm.info["display_gain"] == 2.0
    plain = FaceModel(fm.template, fm.basis, dict(fm.info, display_gain=1.0))
    rest = demo_face.blendshapes
    sad = np.clip(rest + load_prototypes().label_offset("sad", 1.0), 0, 1)
    w = np.stack([rest, sad])
    for model in (fm, plain):
        at_rest, shown = model.canonical(demo_face.neutral, w, rest)
        assert np.allclose(at_rest, demo_face.canonical, atol=1e-5)  # the portrait as analysed
    gained = np.linalg.norm(fm.canonical(demo_face.neutral, w, rest)[1] - demo_face.canonical, axis=1)
    basis_only = np.linalg.norm(plain.canonical(demo_face.neutral, w, rest)[1] - demo_face.canonical, axis=1)
    assert gained.max() > 1.6 * basis_only.max()  # brows and lip corners move further
    upper, lower = INNER_LIPS

    def gap(m):
        return float((m[lower, 1] - m[upper, 1]).mean())

    assert abs(gap(fm.canonical(demo_face.neutral, w, rest)[1]) - gap(plain.canonical(demo_face.neutral, w, rest)[1])) < 1e-4
    # no rest named (analysis, and faces shown as measured): the basis alone
    assert np.allclose(fm.canonical(demo_face.neutral, sad[None])[0], plain.canonical(demo_face.neutral, sad[None])[0])


def test_display_gain_opens_and_narrows_the_eyes_by_the_gain_too(demo_face):
    """Wide eyes (fear, surprise) and a squint (anger, a smile) change each eye's lid gap by the gain like the
    brows, not by the basis alone as the display's smoothing, wider than an eye is tall, left them."""
    from emohead.face.model import EYE_LIDS

    fm = demo_face.face_model
    plain = FaceModel(fm.template, fm.basis, dict(fm.info, display_gain=1.0))
    rest = demo_face.blendshapes

    def lid_gaps(model, channels):
        w = rest.copy()
        for name, v in channels.items():
            w[bs.INDEX[name]] = min(w[bs.INDEX[name]] + v, 1.0)
        at_rest, shown = model.canonical(demo_face.neutral, np.stack([rest, w]), rest)
        return np.array([[(m[lo, 1] - m[up, 1]).mean() for up, lo in EYE_LIDS.values()] for m in (at_rest, shown)])

    for channels in ({"eyeWideLeft": 0.5, "eyeWideRight": 0.5}, {"eyeSquintLeft": 0.4, "eyeSquintRight": 0.4}):
        gained, basis_only = (np.diff(lid_gaps(m, channels), axis=0)[0] for m in (fm, plain))
        assert np.all(np.abs(basis_only) > 0.01)  # the basis itself moves the lids
        assert np.allclose(gained, fm.info["display_gain"] * basis_only, rtol=0.05)


def test_display_gain_keeps_a_frown_and_a_lowered_brow_in_shape_and_carries_the_forehead_with_a_raised_brow(demo_face):
    """Under the display gain a frown's lip corners drop and a lowered brow's inner end comes down by well over half
    the basis's own again (smoothed as widely as a raised brow's, they kept 0.4 of it), while a raised brow still
    lifts the forehead above it (no tear at the hairline)."""
    fm = demo_face.face_model
    basis, extra = fm.basis, fm.display
    lips = (basis[:, 13] + basis[:, 14]) / 2, (extra[:, 13] + extra[:, 14]) / 2

    def drop(rows, mid, vertex, channel):
        return float(rows[bs.INDEX[channel], vertex, 1] - mid[bs.INDEX[channel], 1])

    for channel, corner in (("mouthFrownLeft", 291), ("mouthFrownRight", 61)):
        assert drop(extra, lips[1], corner, channel) > 0.5 * drop(basis, lips[0], corner, channel) > 0.02
    inner_brow = {"browDownLeft": 336, "browDownRight": 107}
    for channel, vertex in inner_brow.items():
        assert extra[bs.INDEX[channel], vertex, 1] > 0.5 * basis[bs.INDEX[channel], vertex, 1] > 0.01
    raise_, brow, forehead = bs.INDEX["browInnerUp"], [66, 296], [108, 337]  # each brow and the forehead above it
    stretch = basis[raise_, brow, 1] - basis[raise_, forehead, 1]  # the basis's raised brow stretches the skin above
    assert np.all(stretch < -0.02)
    assert np.all(np.abs(extra[raise_, brow, 1] - extra[raise_, forehead, 1]) < 0.4 * np.abs(stretch))  # the gain's does not
