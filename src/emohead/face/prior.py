"""Geometric FACS prior for blendshape channels that MediaPipe rarely or never reports.

MediaPipe's blendshape head reports noseSneer, cheekSquint and cheekPuff as 0 on every frame we have,
and eyeWide / mouthFrown / mouthStretch only faintly, so a purely data-fitted basis leaves these
channels inert, yet the emotion prototypes need them (AU9 disgust, AU6 happiness, AU5 surprise,
AU15 sadness, AU20 fear). Each channel here is sculpted on the template: a few anchor vertices get
a displacement (canonical units, y down, +x = subject's left), some are pinned, and the rest follow
by Gaussian-weighted interpolation. ``fit_basis`` regularises toward this prior, so observed channels
follow the data and unobserved ones follow FACS.

Blinks use the prior outright (see :data:`GEOMETRIC_CHANNELS`): MediaPipe's blink score is strongly
bilateral and correlated with squint and gaze, and a data fit closes the lids only a third of the way.
"""

from __future__ import annotations

import numpy as np

from emohead.face import blendshapes as bs

# Eyelid rings in matching order (upper[i] closes onto lower[i]); corners are pinned.
EYES = {
    "Right": dict(
        upper=[246, 161, 160, 159, 158, 157, 173],
        lower=[7, 163, 144, 145, 153, 154, 155],
        corners=[33, 133],
        brow=[70, 63, 105, 66, 107, 46, 53, 52, 65, 55],
        cheek=[117, 118, 119, 120, 100, 101, 50, 36, 205, 123],
        ala=[129, 49, 64, 98, 48, 115],
        lip_top=[39, 40, 185],
        brow_inner=[55, 107, 65],
        corner=61,
        lip_near=[146, 91, 185, 40],
    ),
    "Left": dict(
        upper=[466, 388, 387, 386, 385, 384, 398],
        lower=[249, 390, 373, 374, 380, 381, 382],
        corners=[263, 362],
        brow=[300, 293, 334, 296, 336, 276, 283, 282, 295, 285],
        cheek=[346, 347, 348, 349, 329, 330, 280, 266, 425, 352],
        ala=[358, 279, 294, 327, 278, 344],
        lip_top=[269, 270, 409],
        brow_inner=[285, 336, 295],
        corner=291,
        lip_near=[375, 321, 409, 270],
    ),
}
LIP_CENTRE = [0, 17, 13, 14, 11, 16, 12, 15]
NOSE_TIP = [1, 4, 5, 195]
JAW = [152, 148, 176, 149, 150, 136, 172, 58, 377, 400, 378, 379, 365, 397, 288]
CHEEK_OUT = {"Right": [50, 101, 36, 205, 187, 147, 123], "Left": [280, 330, 266, 425, 411, 376, 352]}
GEOMETRIC_CHANNELS = ("eyeBlinkLeft", "eyeBlinkRight")


def sculpt(template: np.ndarray, moves: dict[int, np.ndarray], pinned: list[int], sigma: float) -> np.ndarray:
    """(478, 3) displacement: ``moves`` exact at their vertices, 0 at ``pinned``, Gaussian-blended elsewhere."""
    idx = np.array(list(moves) + list(pinned))
    disp = np.array([np.asarray(v, float) for v in moves.values()] + [np.zeros(3)] * len(pinned))
    d2 = ((template[:, None, :] - template[None, idx, :]) ** 2).sum(-1)
    w = np.exp(-d2 / (2 * sigma**2))
    out = (w @ disp) / (w.sum(1, keepdims=True) + np.exp(-2.0))  # far from every anchor -> 0
    out[idx] = disp
    return out


def facs_prior(template: np.ndarray) -> np.ndarray:
    """(52, 478, 3) prior displacement per channel (zeros for channels left to the data)."""
    t = np.asarray(template, dtype=np.float64)
    prior = np.zeros((bs.COUNT, t.shape[0], 3))

    def put(name, field):
        prior[bs.INDEX[name]] = field

    for side, e in EYES.items():
        up, lo = np.array(e["upper"]), np.array(e["lower"])
        gap = t[lo] - t[up]
        close = {v: 0.92 * g for v, g in zip(up, gap)} | {v: -0.08 * g for v, g in zip(lo, gap)}
        put(f"eyeBlink{side}", sculpt(t, close, e["corners"] + e["brow"], 0.045))
        put(f"eyeWide{side}", sculpt(t, {v: (0, -0.04, 0) for v in up}, e["corners"] + e["lower"] + e["brow"], 0.045))
        raise_cheek = {v: (0, -0.045, -0.01) for v in e["cheek"]} | {v: (0, -0.02, 0) for v in e["lower"]}
        put(f"cheekSquint{side}", sculpt(t, raise_cheek, e["corners"] + e["upper"] + JAW + LIP_CENTRE, 0.07))
        sneer = {v: (0, -0.05, 0) for v in e["ala"]} | {v: (0, -0.02, 0) for v in e["lip_top"]} | {v: (0, 0.02, 0) for v in e["brow_inner"]}
        put(f"noseSneer{side}", sculpt(t, sneer, NOSE_TIP + [13, 14, 17] + e["upper"] + e["lower"], 0.05))
        out = 1.0 if side == "Left" else -1.0
        frown = {e["corner"]: (0, 0.07, 0)} | {v: (0, 0.03, 0) for v in e["lip_near"]}
        put(f"mouthFrown{side}", sculpt(t, frown, LIP_CENTRE + NOSE_TIP, 0.06))
        stretch = {e["corner"]: (out * 0.04, 0.012, 0)} | {v: (out * 0.018, 0.006, 0) for v in e["lip_near"]}
        put(f"mouthStretch{side}", sculpt(t, stretch, LIP_CENTRE + NOSE_TIP, 0.06))
    puff = {v: (-0.03, 0, -0.01) for v in CHEEK_OUT["Right"]} | {v: (0.03, 0, -0.01) for v in CHEEK_OUT["Left"]}
    put("cheekPuff", sculpt(t, puff, LIP_CENTRE + NOSE_TIP + [61, 291], 0.08))
    put("jawForward", sculpt(t, {v: (0, 0, -0.04) for v in JAW}, NOSE_TIP, 0.12))
    return prior.astype(np.float32)
