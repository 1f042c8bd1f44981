"""Expression cues a warp cannot make: creases and shading that appear with an action unit.

Moving the pixels of a calm photo lowers a brow or pulls a lip corner, but it cannot create the forehead
creases of a raised brow (AU1/AU2), the vertical frown lines between lowered brows (AU4, the corrugator),
the deepened nasolabial fold of a smile or a sneer (AU6/AU9/AU10/AU12), the wrinkles across the nose of
disgust (AU9) or the crow's feet of a Duchenne smile (AU6) - and these are the cues a viewer (and a face
classifier) reads first (FACS manual, Ekman, Friesen & Hager 2002, "appearance changes" of each AU).

Each cue is a soft dark line drawn in place from the frame's own 68 landmarks, with a strength set by how
far its action units rise above the portrait's own level: a neutral request draws nothing, and a portrait
that already frowns gets no second set of lines. Geometry (and so lip sync) is untouched.
"""

from __future__ import annotations

import numpy as np

from emohead.face import blendshapes as bs

DEPTH = 0.3  # darkening at the centre of a fully active crease (fraction of the pixel's brightness)
ONSET = 0.08  # activation below this draws nothing: speech moves the lips, not the brows
# cue -> channels whose rise above the portrait's own value drives it (mean over the listed channels)
DRIVERS = {
    "forehead_inner": ("browInnerUp",),
    "forehead_outer": ("browOuterUpLeft", "browOuterUpRight"),
    "glabella": ("browDownLeft", "browDownRight"),
    "nasolabial": ("mouthSmileLeft", "mouthSmileRight", "cheekSquintLeft", "cheekSquintRight"),
    "sneer": ("noseSneerLeft", "noseSneerRight", "mouthUpperUpLeft", "mouthUpperUpRight"),
    "crows_feet": ("cheekSquintLeft", "cheekSquintRight"),
    "marionette": ("mouthFrownLeft", "mouthFrownRight"),
}


def activations(blendshapes: np.ndarray, own: np.ndarray) -> dict[str, float]:
    """Strength 0..1 of each cue: the mean rise of its driving channels above the portrait's own values."""
    out = {}
    for cue, names in DRIVERS.items():
        idx = bs.indices(names)
        rise = float(np.mean(np.clip(blendshapes[idx] - own[idx], 0, None)))
        out[cue] = float(np.clip((rise - ONSET) / (0.6 - ONSET), 0, 1))
    return out


def _lines(lm: np.ndarray, act: dict[str, float]) -> list[tuple[np.ndarray, float]]:
    """(polyline (N, 2) crop px, strength) for every active cue, from the frame's iBUG-68 landmarks."""
    right_eye, left_eye = lm[36:42].mean(0), lm[42:48].mean(0)
    across = left_eye - right_eye
    u = float(np.linalg.norm(lm[45] - lm[36]))  # outer eye corners: the unit of size
    x = across / max(np.linalg.norm(across), 1e-6)
    up = np.array([x[1], -x[0]])  # perpendicular to the eye line, toward the forehead (image y grows down)
    if up @ (lm[19] - lm[37]) < 0:
        up = -up
    brow_mid = (lm[21] + lm[22]) / 2
    out: list[tuple[np.ndarray, float]] = []

    def arc(centre, half_width, bow, n=9):
        t = np.linspace(-1, 1, n)
        return centre + np.outer(t * half_width, x) + np.outer(bow * (1 - t**2), up)

    brow_top = float(np.max((lm[17:27] - brow_mid) @ up))  # the highest brow point above the inner brows
    for k, lift in enumerate((0.22, 0.36, 0.50)):  # horizontal forehead creases, highest ones fainter
        base = brow_mid + up * (brow_top + lift * u)
        fade = 1.0 - 0.2 * k
        if act["forehead_inner"]:
            out.append((arc(base, 0.28 * u, 0.03 * u + 0.01 * k * u), act["forehead_inner"] * fade * 0.8))
        if act["forehead_outer"]:
            for side in (-1, 1):
                out.append((arc(base + side * 0.42 * u * x - up * 0.04 * u, 0.2 * u, -0.02 * u, 7), act["forehead_outer"] * fade))
    if act["glabella"]:
        for side in (-1, 1):
            foot = brow_mid + side * 0.07 * u * x + up * 0.02 * u
            out.append((np.array([foot, foot + up * 0.22 * u + side * 0.015 * u * x]), act["glabella"]))
    fold = max(act["nasolabial"], act["sneer"])
    if fold:
        for wing, corner, side in ((lm[31], lm[48], -1), (lm[35], lm[54], 1)):
            a = wing + side * 0.07 * u * x + up * 0.02 * u
            b = corner + side * 0.09 * u * x - up * 0.1 * u
            mid = (a + b) / 2 + side * 0.05 * u * x
            t = np.linspace(0, 1, 9)[:, None]
            out.append(((1 - t) ** 2 * a + 2 * (1 - t) * t * mid + t**2 * b, fold))
    if act["sneer"]:
        for k in range(3):  # short lines across the nose bridge
            c = lm[28] + (lm[29] - lm[28]) * (0.2 + 0.35 * k)
            out.append((np.array([c - 0.11 * u * x, c + 0.11 * u * x]), act["sneer"] * 0.9))
    if act["crows_feet"]:
        for corner, side in ((lm[36], -1), (lm[45], 1)):
            for angle in (-0.35, 0.0, 0.35):
                d = side * x * np.cos(angle) + up * np.sin(angle)
                out.append((np.array([corner + d * 0.06 * u, corner + d * 0.2 * u]), act["crows_feet"] * 0.7))
    if act["marionette"]:
        for corner, side in ((lm[48], -1), (lm[54], 1)):
            out.append((np.array([corner + side * 0.03 * u * x, corner - up * 0.28 * u + side * 0.02 * u * x]), act["marionette"] * 0.8))
    return out


def draw_cues(frame: np.ndarray, lm68: np.ndarray, blendshapes: np.ndarray, own: np.ndarray) -> np.ndarray:
    """``frame`` (S, S, 3) uint8 with the creases of the active action units; unchanged when none is active.
    lm68: (68, >=2) this frame's landmarks in crop px; blendshapes: this frame's (52,); own: the portrait's (52,)."""
    import cv2

    act = activations(blendshapes, own)
    if not any(act.values()):
        return frame
    u = float(np.linalg.norm(lm68[45, :2] - lm68[36, :2]))
    shade = np.zeros(frame.shape[:2], np.float32)
    thickness = 1
    for pts, strength in _lines(lm68[:, :2].astype(np.float64), act):
        layer = np.zeros_like(shade)
        cv2.polylines(layer, [np.round(pts * 16).astype(np.int32)], False, 1.0, thickness, cv2.LINE_AA, shift=4)
        np.maximum(shade, layer * strength, out=shade)
    shade = cv2.GaussianBlur(shade, (0, 0), max(0.8, 0.02 * u))
    out = frame.astype(np.float32) * (1.0 - DEPTH * shade)[..., None]
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)
