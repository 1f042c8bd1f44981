import numpy as np

from emohead.eval.image import psnr
from emohead.face import blendshapes as bs
from emohead.render.paste import Compositor
from emohead.render.warp import WarpRenderer


def _mesh(face, **channels):
    w = face.blendshapes.copy()
    for name, v in channels.items():
        w[bs.INDEX[name]] = v
    return face.face_model.mesh(face.neutral, w[None], face.pose[None])[0]


def test_rest_frame_is_the_portrait(demo_face):
    frame = WarpRenderer(demo_face).render(_mesh(demo_face))
    assert psnr(frame, demo_face.crop) > 35


def test_open_jaw_paints_a_mouth_interior_and_keeps_the_border(demo_face):
    renderer = WarpRenderer(demo_face)
    rest = renderer.render(_mesh(demo_face))
    mesh = _mesh(demo_face, jawOpen=0.7, mouthLowerDownLeft=0.3, mouthLowerDownRight=0.3)
    frame = renderer.render(mesh)
    inner = mesh[[13, 14], :2].mean(0).astype(int)  # between the inner lips
    x, y = inner
    cavity = frame[y - 1 : y + 2, x - 3 : x + 4].astype(float)
    assert np.abs(cavity - rest[y - 1 : y + 2, x - 3 : x + 4]).mean() > 20  # something new shows between the lips
    for edge in (np.s_[0], np.s_[-1], np.s_[:, 0], np.s_[:, -1]):  # the crop border stays put (rounding aside)
        assert np.abs(frame[edge].astype(int) - rest[edge]).max() <= 1
    chin_rest, chin_open = _mesh(demo_face)[152, 1], mesh[152, 1]
    assert chin_open > chin_rest + 3  # the chin drops by pixels, so the warp moved real skin


def test_teeth_are_brighter_than_the_cavity(demo_face):
    mesh = _mesh(demo_face, jawOpen=0.9, mouthLowerDownLeft=0.4, mouthLowerDownRight=0.4)
    frame = WarpRenderer(demo_face).render(mesh)
    top, bottom = mesh[13, :2], mesh[14, :2]
    x = int(round(top[0]))
    column = frame[int(top[1]) + 1 : int(bottom[1]), x].astype(float).mean(1)
    assert len(column) >= 6 and column[:2].mean() > column[len(column) // 2 :].mean() + 30


def test_full_frame_paste_is_seamless_and_even_sized(demo_face):
    comp = Compositor(demo_face.image, demo_face.crop_matrix, demo_face.size)
    out = comp.paste(demo_face.crop)
    h, w = demo_face.image.shape[:2]
    assert out.shape == (h // 2 * 2, w // 2 * 2, 3)
    assert psnr(out, demo_face.image[: out.shape[0], : out.shape[1]]) > 30  # pasting the unchanged crop changes ~nothing


def test_expression_cues_appear_only_where_an_expression_is_requested(demo_face):
    """No request, no drawn creases; a frown darkens the skin between the brows (the corrugator's lines)."""
    renderer = WarpRenderer(demo_face)
    own = demo_face.blendshapes
    plain = renderer.render(demo_face.mesh)
    assert np.array_equal(renderer.render(demo_face.mesh, own), plain)
    frown = own.copy()
    frown[bs.indices(("browDownLeft", "browDownRight"))] += 0.6
    lined = renderer.render(demo_face.mesh, frown)
    lm = demo_face.lm68
    u = np.linalg.norm(lm[45, :2] - lm[36, :2])
    cx, cy = ((lm[21, :2] + lm[22, :2]) / 2).astype(int)
    box = np.s_[int(cy - 0.25 * u) : cy, int(cx - 0.12 * u) : int(cx + 0.12 * u)]
    assert lined[box].mean() < plain[box].mean() - 2
    far = np.s_[-20:, :20]  # the crop corner: untouched
    assert np.array_equal(lined[far], plain[far])


def test_a_smile_taken_away_takes_its_folds_with_it(demo_face):
    """A smiling portrait asked for a face without its smile: the skin detail of the smile's folds beside the nose
    and mouth fades with it, while the lips, the eyes and the crop corner keep every pixel; a frame that keeps the
    portrait's smile, or smiles more, is drawn as before."""
    from dataclasses import replace

    import cv2

    from emohead.render.cues import FADE_BAND, FOLD_REGIONS

    smile = bs.indices(("mouthSmileLeft", "mouthSmileRight"))
    own = demo_face.blendshapes.copy()
    own[smile] = 0.9  # the same photo, read as a broad smile
    renderer = WarpRenderer(replace(demo_face, blendshapes=own))
    plain = renderer.render(demo_face.mesh)
    assert np.array_equal(renderer.render(demo_face.mesh, own), plain)
    more = own.copy()
    more[smile] = 1.0
    assert np.array_equal(renderer.render(demo_face.mesh, more), plain)
    relaxed = own.copy()
    relaxed[smile] = 0.0
    faded = renderer.render(demo_face.mesh, relaxed)

    lm = demo_face.lm68[:, :2]
    u = np.linalg.norm(lm[45] - lm[36])

    def fold_detail(frame):
        g = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY).astype(np.float32)
        band = cv2.GaussianBlur(g, (0, 0), FADE_BAND[0] * u) - cv2.GaussianBlur(g, (0, 0), FADE_BAND[1] * u)
        inside = np.zeros(g.shape, np.uint8)
        for idx in FOLD_REGIONS:
            cv2.fillConvexPoly(inside, cv2.convexHull(np.round(lm[list(idx)]).astype(np.int32)), 1)
        inside = cv2.erode(inside, np.ones((3, 3), np.uint8), iterations=int(0.1 * u))  # the region's core
        return float(np.abs(band[inside > 0]).mean())

    assert fold_detail(faded) < 0.5 * fold_detail(plain)
    for x, y in (lm[[62, 66]].mean(0), lm[36:42].mean(0), lm[42:48].mean(0)):  # between the lips, both eyes
        box = np.s_[int(y - 0.05 * u) : int(y + 0.05 * u), int(x - 0.05 * u) : int(x + 0.05 * u)]
        assert np.array_equal(faded[box], plain[box])
    assert np.array_equal(faded[-20:, :20], plain[-20:, :20])


def test_the_contact_sheet_shows_the_frames_the_video_shows(demo_face, short_audio, tmp_path):
    """The expression cues (creases) the video draws appear on the sheet too: a sad tile equals the frame the
    video pipeline renders."""
    import emohead
    from emohead.render.warp import WarpRenderer
    from emohead.sheet import _emotion_tiles, _face_zoom

    inputs = emohead.analyze(demo_face.crop, short_audio, transcript="And so my fellow Americans")
    (tiles,) = _emotion_tiles(inputs, ["sad"], 2, "analytic")
    motion = emohead.load_motion_model("analytic").generate(inputs.with_emotion("sad"))
    video = [_face_zoom(f) for f in WarpRenderer(inputs.portrait).frames(motion)]
    # the same frame up to rounding (a mesh computed alone or in a chunk); without the cues it differs by 0.09 on average
    assert min(np.abs(tiles[1].astype(float) - frame).mean() for frame in video) < 0.01


def test_a_collapsed_triangle_leaves_no_specks_from_elsewhere(demo_face):
    """A triangle squeezed to a sliver (the side of the nose as the mouth opens) must not paint its edge pixels with
    colours from across the crop: before, about half of all frames had such specks, some the background's."""
    from emohead.render.warp import face_triangles

    renderer = WarpRenderer(demo_face)
    mesh = _mesh(demo_face)
    rest = renderer.render(mesh).astype(int)
    worst = 0
    for a, b, c in face_triangles()[::25]:
        squeezed = mesh.copy()
        squeezed[a, :2] = (mesh[b, :2] + mesh[c, :2]) / 2  # a lies on the opposite edge: zero area
        frame = renderer.render(squeezed).astype(int)
        x0, y0 = np.floor(mesh[[a, b, c], :2].min(0)).astype(int) - 4
        x1, y1 = np.ceil(mesh[[a, b, c], :2].max(0)).astype(int) + 5
        near = np.s_[max(y0, 0) : y1, max(x0, 0) : x1]
        lo, hi = rest[near].min((0, 1)), rest[near].max((0, 1))  # the colours the skin around it has
        worst = max(worst, int(np.maximum(lo - frame[near], frame[near] - hi).max()))
    assert worst <= 30  # 7 now; 111 before: colours from across the crop
