"""Emotion prototypes in blendshape space: FACS action units mapped to ARKit channels, calibrated on
real CREMA-D clips.

FACS (Ekman & Friesen's EMFACS prototypes) decides *which* channels an emotion moves and in which
direction; the CREMA-D actor's clips (one per emotion, ``scripts/calibrate_emotions.py``) set the
magnitude of every channel MediaPipe measures: calibrated = mean(FACS default, measured change at the
expression's apex against the actor's neutral clip, clipped at 0 and scaled from the clips' intensity level to
a full acted apex: CREMA-D "XX" counts as level 2, so the change is divided by 0.7). The apex is each channel's 90th
percentile over the clip: a prototype is the expression at its peak (FACS "apex"), while a clip
mean would average in the neutral onset and offset. Channels MediaPipe never reports (noseSneer,
cheekSquint) and emotions CREMA-D lacks (surprise, contempt) keep the FACS default. Surprise's jaw drop (AU26,
the one emotion channel that opens the mouth past speech: ``motion.animate.add_emotion``) is 0.25, chosen among
0.12 / 0.25 / 0.4 on the calibration portraits with the lip sync of surprised runs on the real clips measured beside
it (benchmarks/README.md, "Surprise drops the jaw").
AU proxies: AU1 browInnerUp, AU2 browOuterUp, AU4 browDown, AU5 eyeWide, AU6 cheekSquint,
AU7 eyeSquint, AU9 noseSneer, AU10 mouthUpperUp, AU12 mouthSmile, AU14 mouthDimple,
AU15 mouthFrown, AU17 mouthShrugLower, AU20 mouthStretch, AU23/24 mouthPress, AU26 jawOpen.
"""

from __future__ import annotations

import json
from functools import lru_cache

import numpy as np

from emohead.emotion.vocabulary import EMOTIONS
from emohead.face import blendshapes as bs


def _both(name: str, v: float) -> dict[str, float]:
    return {f"{name}Left": v, f"{name}Right": v}


# Full-intensity (intensity 1) channel values before calibration.
FACS_PROTOTYPES: dict[str, dict[str, float]] = {
    "neutral": {},
    "happy": {**_both("mouthSmile", 0.9), **_both("cheekSquint", 0.7), **_both("eyeSquint", 0.35), **_both("mouthDimple", 0.2)},
    "sad": {"browInnerUp": 0.9, **_both("browDown", 0.25), **_both("mouthFrown", 0.8), **_both("eyeBlink", 0.15)},
    "angry": {**_both("browDown", 0.95), **_both("eyeSquint", 0.4), **_both("eyeWide", 0.3), **_both("mouthPress", 0.4), **_both("noseSneer", 0.35)},
    "fear": {"browInnerUp": 0.9, **_both("browOuterUp", 0.5), **_both("browDown", 0.2), **_both("eyeWide", 0.8), **_both("mouthStretch", 0.6)},
    "surprise": {"browInnerUp": 0.9, **_both("browOuterUp", 0.85), **_both("eyeWide", 0.8), "jawOpen": 0.25},
    "disgust": {**_both("noseSneer", 0.85), **_both("mouthUpperUp", 0.4), **_both("mouthFrown", 0.4), **_both("browDown", 0.55), **_both("cheekSquint", 0.3)},
    "contempt": {"mouthSmileLeft": 0.65, "mouthDimpleLeft": 0.6, "eyeSquintLeft": 0.15},
}  # fmt: skip

# Dataset intensity levels (MEAD 1-3; CREMA-D LO/MD/HI; RAVDESS normal/strong) -> prototype weight.
INTENSITY_LEVELS = {1: 0.35, 2: 0.7, 3: 1.0}


def level_weight(level: int | None) -> float:
    """Prototype weight for a dataset intensity level; a label without a level (CREMA-D "XX") counts as 0.7."""
    return INTENSITY_LEVELS.get(level, 0.7)


# Channels a reference portrait may pass on as its expression (speech, blinks and gaze stay ours).
EXPRESSIVE = tuple(
    n
    for n in bs.NAMES
    if n not in ("jawOpen", "mouthClose", "mouthLowerDownLeft", "mouthLowerDownRight", "mouthFunnel", "mouthPucker")
    and n not in bs.BLINK_CHANNELS
    and n not in bs.GAZE_CHANNELS
)


def calibrate(measured: dict[str, np.ndarray], neutral: np.ndarray, level: int | None = None) -> dict[str, dict[str, float]]:
    """Blend FACS defaults with measured apex blendshapes per emotion (each (52,)) against ``neutral``.

    ``level``: the clips' dataset intensity level (None: unspecified, CREMA-D "XX"). Intensity 1 is the apex
    of a full acted expression (MEAD level 3, CREMA-D "HI"), so a change measured at another level is scaled to
    it: divided by ``level_weight(level)`` (XX counts as level 2, 0.7), capped at 1. Only channels in an
    emotion's FACS set change, and only when MediaPipe reports them (the neutral clip or the emotional clip has
    a non-zero value).
    """
    out = {}
    to_full = 1.0 / level_weight(level)
    for emotion, facs in FACS_PROTOTYPES.items():
        calibrated = dict(facs)
        if emotion in measured:
            delta = measured[emotion] - neutral
            for ch, v in facs.items():
                i = bs.INDEX[ch]
                if measured[emotion][i] > 1e-3 or neutral[i] > 1e-3:
                    calibrated[ch] = round(float(0.5 * v + 0.5 * min(max(delta[i], 0.0) * to_full, 1.0)), 4)
        out[emotion] = calibrated
    return out


class Prototypes:
    """Calibrated prototypes as arrays. matrix: (8, 52) in EMOTIONS order; baseline: (52,) a relaxed face."""

    def __init__(self, table: dict[str, dict[str, float]], baseline: dict[str, float]):
        self.matrix = np.zeros((len(EMOTIONS), bs.COUNT), np.float32)
        for e, chans in table.items():
            for ch, v in chans.items():
                self.matrix[EMOTIONS.index(e), bs.INDEX[ch]] = v
        self.baseline = np.zeros(bs.COUNT, np.float32)
        for ch, v in baseline.items():
            self.baseline[bs.INDEX[ch]] = v
        self.table = table

    @property
    def channels(self) -> np.ndarray:
        """Indices of the expressive channels that some emotion's prototype moves; the others (jaw and mouth
        sideways, lip roll and shrug, cheek puff) carry only speech."""
        used = np.abs(self.matrix).max(0) > 0
        return np.array([i for i in bs.indices(EXPRESSIVE) if used[i]])

    def offset(self, weights: np.ndarray) -> np.ndarray:
        """Per-frame emotion weights (T, 8) -> blendshape offsets (T, 52) against a relaxed face."""
        return weights @ self.matrix

    def label_offset(self, emotion: str, weight: float) -> np.ndarray:
        """One emotion at ``weight`` (e.g. ``level_weight(level)``) -> (52,) blendshape offset."""
        return weight * self.matrix[EMOTIONS.index(emotion)]

    def reference_offset(self, blendshapes: np.ndarray) -> np.ndarray:
        """A reference face's blendshapes (52,) -> its expression as an offset from the relaxed baseline,
        on the expressive channels only (speech, blinks and gaze stay the model's)."""
        offset = np.zeros(bs.COUNT, np.float32)
        idx = bs.indices(EXPRESSIVE)
        offset[idx] = blendshapes[idx] - self.baseline[idx]
        return offset

    def projection(self, offset: np.ndarray) -> tuple[str, float]:
        """(the nearest emotion, how strongly the offset shows it): the projection of the offset's rises on that
        prototype, in units of the prototype (1 = the full apex), never below 0."""
        rises = np.clip(offset, 0, None)
        emotion = self.nearest(rises)[0]
        proto = self.matrix[EMOTIONS.index(emotion)]
        return emotion, max(float(rises @ proto / (proto @ proto)), 0.0)

    def nearest(self, offset: np.ndarray) -> tuple[str, float]:
        """The emotion whose prototype best matches a blendshape offset (cosine similarity)."""
        m = self.matrix[1:]
        sims = m @ offset / (np.linalg.norm(m, axis=1) * np.linalg.norm(offset) + 1e-9)
        k = int(np.argmax(sims))
        return EMOTIONS[k + 1], float(sims[k])


@lru_cache(maxsize=1)
def load_prototypes() -> Prototypes:
    """The calibrated prototypes shipped in ``assets/emotion_prototypes.json``."""
    from emohead.assets import asset_path

    data = json.loads(asset_path("emotion_prototypes.json").read_text())
    return Prototypes(data["prototypes"], data["neutral_baseline"])
