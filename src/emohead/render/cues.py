"""Expression cues a warp cannot make: creases and shading that appear with an action unit.

Moving the pixels of a calm photo lowers a brow or pulls a lip corner, but it cannot create the forehead
creases of a raised brow (AU1/AU2), the vertical frown lines between lowered brows (AU4, the corrugator),
the deepened nasolabial fold of a smile or a sneer (AU6/AU9/AU10/AU12), the wrinkles across the nose of
disgust (AU9) or the crow's feet of a Duchenne smile (AU6) - and these are the cues a viewer (and a face
classifier) reads first (FACS manual, Ekman, Friesen & Hager 2002, "appearance changes" of each AU).

Each cue is a soft dark line drawn in place from the frame's own 68 landmarks, with a strength set by how
far its action units rise above the portrait's own level: a neutral request draws nothing, and a portrait
that already frowns gets no second set of lines. Geometry (and so lip sync) is untouched.

The reverse holds too: a warp that takes a smiling portrait's smile away leaves the smile's folds and cheek
shading in the skin it moves, and a viewer (and a face classifier) still reads the photo's smile on a face asked
to be sad or angry. Where the frame's smile falls below the portrait's own, the folds beside the nose and mouth are
faded (:func:`fade_own_smile`).
"""

from __future__ import annotations

import numpy as np

from emohead.face import blendshapes as bs

# Darkening at the centre of a fully active crease (fraction of the pixel's brightness). Hand-set, then measured with
# the averaged FER judge (analytic model, intensity 1; benchmarks/README.md, session 18): on the calibration portraits
# 0 / 0.3 / 0.6 / 0.9 recognise 20 / 24 / 25 / 23 labels of 42 (lift +0.251 / +0.301 / +0.320 / +0.319); held back,
# 0.6 gained one label and +0.005 over 0.3, and draws the frown lines as pen strokes, so 0.3 stays.
DEPTH = 0.3
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


# Fading a portrait's own smile folds: the smile channels' fall below the portrait's own value drives it (same ramp
# as the creases). What is taken out is the band of skin detail between FADE_BAND[0] and FADE_BAND[1] eye-distances
# (folds and cheek bulges), so finer texture and the broad shading stay. Chosen on a calibration face (CREMA-D actor
# 1001's happy apex as the portrait, analytic model, FER2013 on the seven labels: recognised 1 -> 3 of 7; bands
# 0.02-0.15 and 0.02-0.3 gave 2, a plain blur 1); checked once on the held-back smiling portraits
# (benchmarks/README.md, "A smiling portrait's folds").
FADE_DRIVERS = ("mouthSmileLeft", "mouthSmileRight")
FADE_BAND = (0.04, 0.3)
# iBUG-68 points around each fold: nose wing, lip corner, jaw below it, cheek beside the nose (right, then left side)
FOLD_REGIONS = ((31, 48, 5, 3, 2, 40), (35, 54, 11, 13, 14, 47))


def _ramp(change: float) -> float:
    return float(np.clip((change - ONSET) / (0.6 - ONSET), 0, 1))


def activations(blendshapes: np.ndarray, own: np.ndarray) -> dict[str, float]:
    """Strength 0..1 of each cue: the mean rise of its driving channels above the portrait's own values."""
    out = {}
    for cue, names in DRIVERS.items():
        idx = bs.indices(names)
        out[cue] = _ramp(float(np.mean(np.clip(blendshapes[idx] - own[idx], 0, None))))
    return out


def smile_fade(blendshapes: np.ndarray, own: np.ndarray) -> float:
    """Strength 0..1 of fading the portrait's own smile folds: how far the frame's smile falls below the portrait's."""
    idx = bs.indices(FADE_DRIVERS)
    return _ramp(float(np.mean(np.clip(own[idx] - blendshapes[idx], 0, None))))


def _hulls(shape: tuple[int, int], lm: np.ndarray, groups, dtype) -> np.ndarray:
    """A mask of ``shape``: 1 inside the convex hull of each group of landmark indices, 0 elsewhere."""
    import cv2

    out = np.zeros(shape, dtype)
    for idx in groups:
        cv2.fillConvexPoly(out, cv2.convexHull(np.round(lm[list(idx)]).astype(np.int32)), 1)
    return out


def fade_own_smile(frame: np.ndarray, lm68: np.ndarray, strength: float) -> np.ndarray:
    """``frame`` with the skin detail of the FADE_BAND scale taken out beside the nose and mouth, by ``strength``
    (0: unchanged), feathered at the edges; the lips and the eyes keep theirs. lm68: (68, >=2) this frame's landmarks
    in crop px. The band has no detail finer than FADE_BAND[0], so it is computed at a scale where that is 1.5 px
    and brought back to the frame's size (a 512 px frame costs about what a 256 px one does)."""
    import cv2

    if strength <= 0:
        return frame
    h, w = frame.shape[:2]
    u_full = float(np.linalg.norm(lm68[45, :2] - lm68[36, :2]))
    k = max(1, int(FADE_BAND[0] * u_full / 1.5))
    small = cv2.resize(frame, (w // k, h // k), interpolation=cv2.INTER_AREA).astype(np.float32) if k > 1 else frame.astype(np.float32)
    lm, u = lm68[:, :2] / k, u_full / k
    sh = small.shape[:2]
    mask = _hulls(sh, lm, FOLD_REGIONS, np.float32)
    kept = _hulls(sh, lm, (range(48, 60), range(36, 42), range(42, 48)), np.uint8)  # lips and eyes, with a soft margin
    r = max(1, int(0.1 * u))
    kept = cv2.dilate(kept, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1)))
    kept = cv2.GaussianBlur(kept.astype(np.float32), (0, 0), 0.03 * u)
    mask = cv2.GaussianBlur(mask, (0, 0), 0.08 * u) * np.clip(1 - kept, 0, 1) * strength
    mask[mask < 1e-3] = 0
    ys, xs = np.nonzero(mask)
    if not len(ys):
        return frame
    coarse = 4  # the broad shading has nothing finer than FADE_BAND[1]: blurred at a quarter of the size
    low = cv2.resize(small, (max(sh[1] // coarse, 1), max(sh[0] // coarse, 1)), interpolation=cv2.INTER_AREA)
    low = cv2.resize(cv2.GaussianBlur(low, (0, 0), FADE_BAND[1] * u / coarse), (sh[1], sh[0]), interpolation=cv2.INTER_LINEAR)
    delta = (cv2.GaussianBlur(small, (0, 0), FADE_BAND[0] * u) - low) * mask[..., None]
    if k > 1:
        delta = cv2.resize(delta, (w, h), interpolation=cv2.INTER_LINEAR)
    y0, y1, x0, x1 = max((ys.min() - 1) * k, 0), min((ys.max() + 2) * k, h), max((xs.min() - 1) * k, 0), min((xs.max() + 2) * k, w)
    out = frame.copy()  # outside the mask delta is 0 and the pixel stays as it was
    out[y0:y1, x0:x1] = np.clip(frame[y0:y1, x0:x1] - delta[y0:y1, x0:x1] + 0.5, 0, 255).astype(np.uint8)
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
    """``frame`` (S, S, 3) uint8 with the creases of the active action units, and the portrait's own smile folds faded
    where the frame's smile falls below it; unchanged when neither applies.
    lm68: (68, >=2) this frame's landmarks in crop px; blendshapes: this frame's (52,); own: the portrait's (52,)."""
    import cv2

    frame = fade_own_smile(frame, lm68, smile_fade(blendshapes, own))
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
