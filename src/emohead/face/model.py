"""The face model: identity neutral shape + linear blendshape basis + rigid pose.

This is emohead's open stand-in for a 3DMM (EmoSpeaker's BFM coefficients) and for MEDTalk's rig::

    canonical(w) = neutral_identity + sum_k w_k * basis[k]        (478, 3), canonical units
    points       = scale * R(pitch, yaw, roll) @ canonical + t     pixels (see face.geometry)

Canonical units: the template's outer eye corners (mesh 33 and 263) are 1 apart, origin at the
centroid of :data:`~emohead.face.geometry.RIGID_VERTICES`. The basis is fitted by ridge regression
on real frames where MediaPipe gives both the mesh and the 52 blendshapes
(``scripts/fit_face_basis.py``; how the shipped one was made is in ``assets/weights/face_model/README.md``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from emohead import dims
from emohead.face import blendshapes as bs
from emohead.face.geometry import RIGID_VERTICES, apply_pose, pose_from_similarity, similarity_fit

N_VERTICES = dims.N_MESH
INNER_LIPS = (np.array([82, 13, 312]), np.array([87, 14, 317]))  # upper / lower inner-lip mesh vertices
# blink channel -> the middle of that eye's upper / lower lid (mesh vertices)
EYE_LIDS = {
    "eyeBlinkRight": (np.array([158, 159, 160]), np.array([144, 145, 153])),
    "eyeBlinkLeft": (np.array([385, 386, 387]), np.array([373, 374, 380])),
}


def gap_gradient(basis: np.ndarray, upper: np.ndarray, lower: np.ndarray) -> np.ndarray:
    """(52,) change of the vertical gap between two rows of vertices (canonical units) per unit of each channel:
    the gap is linear in w."""
    return basis[:, lower, 1].mean(1) - basis[:, upper, 1].mean(1)


def lip_gap_gradient(basis: np.ndarray) -> np.ndarray:
    """(52,) change of the inner-lip gap per unit of each channel."""
    return gap_gradient(basis, *INNER_LIPS)


def canonicalize(points: np.ndarray, template: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Remove pose and scale: points (478, 3) pixels -> (canonical (478, 3), pose (6,))."""
    s, rot, t = similarity_fit(template[RIGID_VERTICES], points[RIGID_VERTICES])
    canonical = ((points - t) @ rot) / s
    return canonical, pose_from_similarity(s, rot, t)


GAIN_SPREAD = 0.12  # eye-distances: the Gaussian over which a gain's extra displacement is shared with neighbours
# The display gain shares a raised brow's extra displacement that wide (it carries the forehead above it: no tear at
# the hairline), every other channel's over half of it, so that a lowered brow, a mouth corner or a wrinkled nose
# keeps its shape (at 0.12 a frown's lip corners moved by 1.4 times the basis, not 2; benchmarks/README.md).
DISPLAY_SPREAD = {"browInnerUp": GAIN_SPREAD, "browOuterUpLeft": GAIN_SPREAD, "browOuterUpRight": GAIN_SPREAD}
DISPLAY_SPREAD_LOCAL = 0.06
GAIN_FADE = 0.3  # eye-distances inside the face oval over which a gain fades in from none


def gain_vertex_weights(template: np.ndarray) -> np.ndarray:
    """(478,) how much of a channel's gain each vertex takes: 0 on the face oval, rising to 1 at GAIN_FADE inside it
    (hairline, temples and jaw edge are held by the skull; moving them would tear the face from its surroundings)."""
    from emohead.render.warp import FACE_OVAL

    dist = np.linalg.norm(template[:, None, :2] - template[FACE_OVAL][None, :, :2], axis=2).min(1)
    return np.clip(dist / GAIN_FADE, 0.0, 1.0).astype(np.float32)


def gain_smoother(template: np.ndarray, spread: float = GAIN_SPREAD) -> np.ndarray:
    """(478, 478) row-normalised Gaussian weights (sigma ``spread``, eye-distances) over the template's surface (x, y)."""
    d2 = ((template[:, None, :2] - template[None, :, :2]) ** 2).sum(-1)
    w = np.exp(-d2 / (2 * spread**2))
    return (w / w.sum(1, keepdims=True)).astype(np.float32)


def extra_displacement(row: np.ndarray, gain: float, weights: np.ndarray, smooth: np.ndarray) -> np.ndarray:
    """What a gain adds to a basis row: (gain - 1) x the row, smoothed over the surface (a raised brow carries
    the forehead above it, so no triangle folds) and faded to none at the face oval."""
    return (gain - 1.0) * (smooth @ row) * weights[:, None]


def display_channels() -> list[str]:
    """The expressive channels an emotion shows through: brows, eye squint / widen, cheek raise, nose wrinkle,
    dimple, smile, lip-corner depress and stretch, lip press, chin raise (speech, gaze, blinks and jaw left out)."""
    from emohead.emotion.prototypes import EXPRESSIVE

    return [
        n
        for n in EXPRESSIVE
        if n not in bs.SPEECH_CHANNELS and n not in ("cheekPuff", "tongueOut") and not n.startswith(("jaw", "mouthLeft", "mouthRight"))
    ]


@dataclass
class FaceModel:
    """Linear face model. template: (478, 3); basis: (52, 478, 3); both float32, canonical units.

    The display gain (``info["display_gain"]``, ``scripts/calibrate_display_gain.py``): the basis is fitted to
    MediaPipe's scores and takes a portrait's own expression out of its identity shape (analysis:
    :meth:`identity_neutral`), but an expression requested with it is drawn too small to be recognised at a
    glance (MediaPipe's scores flatten out on strong expressions). ``display`` (52, 478, 3) adds (gain - 1) x
    the smoothed basis row (``DISPLAY_SPREAD``: a raised brow's widely, every other channel's half as widely),
    faded to none at the face oval, on :func:`display_channels`, per unit of departure
    from a ``rest`` expression that a motion model names (the relaxed face an emotion is put on; a portrait
    keeping its own expression rests at its own). What it would add to the inner-lip gap is taken back along
    the jaw: speech owns the gap. Each eye's lid gap, which the smoothing (wider than the eye is tall) would
    leave almost as the basis draws it, opens or closes by the gain like the rest: what the display adds to it
    is made (gain - 1) x the basis row's own change, the difference added along that eye's blink row.
    """

    template: np.ndarray
    basis: np.ndarray
    info: dict
    display: np.ndarray | None = None

    def __post_init__(self):
        if self.display is None:
            self.set_display_gain(float(self.info.get("display_gain", 1.0)))

    def set_display_gain(self, gain: float) -> None:
        """Recompute ``display`` for ``gain`` (1: the basis alone) and record it in ``info``."""
        self.info["display_gain"] = float(gain)
        display = np.zeros_like(self.basis)
        if gain != 1.0:
            weights, names = gain_vertex_weights(self.template), display_channels()
            smoothers = {sp: gain_smoother(self.template, sp) for sp in {*DISPLAY_SPREAD.values(), DISPLAY_SPREAD_LOCAL}}
            for name in names:
                smooth = smoothers[DISPLAY_SPREAD.get(name, DISPLAY_SPREAD_LOCAL)]
                display[bs.INDEX[name]] = extra_displacement(self.basis[bs.INDEX[name]], gain, weights, smooth)
            shown = np.isin(np.arange(bs.COUNT), bs.indices(names))
            for blink, lids in EYE_LIDS.items():  # the lid gap as the gain asks, not as the smoothing leaves it
                short = np.where(shown, (gain - 1.0) * gap_gradient(self.basis, *lids) - gap_gradient(display, *lids), 0.0)
                lid = self.basis[bs.INDEX[blink]]
                display += (short / gap_gradient(lid[None], *lids)[0])[:, None, None] * lid[None]
        jaw = bs.INDEX["jawOpen"]
        undo = lip_gap_gradient(display) / lip_gap_gradient(self.basis)[jaw]  # (52,) jaw per unit of each channel
        self.display = display - undo[:, None, None] * self.basis[jaw][None]

    def expression(self, blendshapes: np.ndarray, rest: np.ndarray | None = None) -> np.ndarray:
        """(T, 52) -> (T, 478 * 3) float32: what the blendshapes add to an identity's neutral shape; with ``rest``
        (52,), departures from it also move by the display gain."""
        w = blendshapes.astype(np.float32)
        flat = w @ self.basis.reshape(bs.COUNT, -1)
        if rest is not None and self.display.any():
            flat += (w - rest.astype(np.float32)) @ self.display.reshape(bs.COUNT, -1)
        return flat

    def identity_neutral(self, canonical: np.ndarray, blendshapes: np.ndarray) -> np.ndarray:
        """The identity's expressionless shape: a portrait's canonical mesh minus its own expression."""
        return canonical - self.expression(blendshapes[None])[0].reshape(N_VERTICES, 3)

    def canonical(self, neutral: np.ndarray, blendshapes: np.ndarray, rest: np.ndarray | None = None) -> np.ndarray:
        """neutral (478, 3), blendshapes (T, 52) -> canonical meshes (T, 478, 3) float32 (``rest``: see
        :meth:`expression`)."""
        return neutral[None].astype(np.float32) + self.expression(blendshapes, rest).reshape(-1, N_VERTICES, 3)

    def mesh(self, neutral: np.ndarray, blendshapes: np.ndarray, pose: np.ndarray, rest: np.ndarray | None = None) -> np.ndarray:
        """Posed meshes (T, 478, 3) in pixels (``rest``: see :meth:`expression`)."""
        return apply_pose(self.canonical(neutral, blendshapes, rest), pose).astype(np.float32)

    def fit_blendshapes(self, neutral: np.ndarray, lm68: np.ndarray, ridge: float = 3e-4, iterations: int = 200) -> np.ndarray:
        """Blendshapes (T, 52) in [0, 1] whose 68 landmarks best match ``lm68`` (T, 68, 2 or 3), canonical.

        Least squares on the basis rows of the 68 points (x, y, and z when given), solved within the channels'
        bounds [0, 1] (accelerated projected gradient from the clipped unbounded solution) with a small ridge:
        how landmark-space models (mul2lm, EAPC) drive the face model, and so the mesh renderer. Clipping the
        unbounded solution instead (ridge 2e-3, before 2026-11-24) lost a third of an expression: on the exact
        landmarks of the analytic model's emotions the fit recovered 0.62-0.72 of each prototype, and 0.88-0.95
        this way (the weights README, "Fitting landmarks, and mul2lm's emotion encoder").
        """
        from emohead.face.ibug68 import MESH_TO_IBUG68

        d = lm68.shape[-1]
        a = self.basis[:, MESH_TO_IBUG68, :d].reshape(bs.COUNT, -1).T.astype(np.float64)  # (68 d, 52)
        y = (lm68 - neutral[MESH_TO_IBUG68, :d]).reshape(len(lm68), -1).astype(np.float64)
        h, g = a.T @ a + ridge * np.eye(bs.COUNT), y @ a  # the normal equations: w h = g per frame
        step = 1.0 / float(np.linalg.eigvalsh(h)[-1])
        w = np.clip(np.linalg.solve(h, g.T).T, 0.0, 1.0)
        z, t = w.copy(), 1.0
        for _ in range(iterations):  # FISTA on 0.5 w h w' - w g' over the box
            nxt = np.clip(z - (z @ h - g) * step, 0.0, 1.0)
            t_next = (1.0 + np.sqrt(1.0 + 4.0 * t * t)) / 2.0
            z, w, t = nxt + (t - 1.0) / t_next * (nxt - w), nxt, t_next
        return w.astype(np.float32)

    # -- persistence: the artefact format every learnt thing uses (``emohead.weights``) -----------------
    def save(self, directory: str | Path) -> None:
        from emohead.weights import save_artifact

        tensors = {"template": self.template.astype(np.float32), "basis": self.basis.astype(np.float32)}
        save_artifact(directory, "FaceModel", {"n_vertices": dims.N_MESH, "blendshapes": list(bs.NAMES)}, tensors, self.info)

    @classmethod
    def default(cls) -> FaceModel:
        """The face model shipped with emohead (loaded once per process)."""
        return _default_face_model()

    @classmethod
    def load(cls, directory: str | Path | None = None) -> FaceModel:
        """Load a face model folder; ``None`` loads the one shipped with emohead."""
        from emohead.errors import EmoheadError
        from emohead.weights import load_artifact

        config, tensors, doc = load_artifact(directory or "face_model", "FaceModel")
        if config.get("blendshapes") != list(bs.NAMES):
            raise EmoheadError(f"{directory}: its blendshape channel order differs from emohead's 52-channel order; refit it")
        info = {k: v for k, v in doc.items() if k not in ("class", "config")}
        return cls(template=tensors["template"], basis=tensors["basis"], info=info)


@lru_cache(maxsize=1)
def _default_face_model() -> FaceModel:
    return FaceModel.load()


def fit_basis(clips: list[tuple[np.ndarray, np.ndarray]], ridge: float = 1e-2, iterations: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Fit the template and the blendshape basis on real frames.

    clips: one (points (T, 478, 3) pixels, blendshapes (T, 52)) pair per clip or per person.
    Generalised Procrustes gives the template; per clip, frames and weights are centred on the
    clip mean so identity cancels, then ``X ~ W @ B`` is solved by ridge regression toward the
    geometric FACS prior B0 (``face.prior``): ``min |X - W B|^2 + ridge * N * |B - B0|^2``.
    Channels in ``prior.GEOMETRIC_CHANNELS`` take the prior as is.
    Returns (template (478, 3), basis (52, 478, 3)), float32.
    """
    from emohead.face.prior import GEOMETRIC_CHANNELS, facs_prior

    template = clips[0][0][0].astype(np.float64)
    for _ in range(iterations):
        canon = [np.stack([canonicalize(p, template)[0] for p in pts]) for pts, _ in clips]
        mean = np.concatenate(canon).mean(0)
        mean -= mean[RIGID_VERTICES].mean(0)
        template = mean / np.linalg.norm(mean[263] - mean[33])
    canon = [np.stack([canonicalize(p, template)[0] for p in pts]) for pts, _ in clips]
    x = np.concatenate([c.reshape(len(c), -1) - c.reshape(len(c), -1).mean(0) for c in canon])
    w = np.concatenate([b - b.mean(0) for _, b in clips]).astype(np.float64)
    prior = facs_prior(template).reshape(bs.COUNT, -1).astype(np.float64)
    gram = w.T @ w + ridge * len(w) * np.eye(w.shape[1])
    basis = np.linalg.solve(gram, w.T @ x + ridge * len(w) * prior)
    basis[bs.indices(GEOMETRIC_CHANNELS)] = prior[bs.indices(GEOMETRIC_CHANNELS)]
    return template.astype(np.float32), basis.reshape(bs.COUNT, N_VERTICES, 3).astype(np.float32)
