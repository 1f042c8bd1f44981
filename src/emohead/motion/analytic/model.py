"""The analytic motion model: emohead's training-free default.

Speech: each aligned phone pulls the mouth toward its viseme target with a dominance that decays
with distance from the phone (Cohen & Massaro 1993 coarticulation); bilabials (/p b m/) then seal
the lips as a hard constraint, and loudness scales how far the jaw opens. Without phones the mouth
follows the speech envelope (acoustic fallback, any language).
Emotion: calibrated FACS prototypes (``emotion.prototypes``), weighted per frame by the label,
timeline or intensity curve, or a reference portrait's expression, added to the expressive channels;
speech channels are composed (emotion adds to them), never overwritten. Plus seeded natural blinks
and small speech-driven head motion around the portrait's own pose (``motion.animate``).
"""

from __future__ import annotations

import numpy as np

from emohead import dims
from emohead.emotion.prototypes import EXPRESSIVE, load_prototypes
from emohead.face import blendshapes as bs
from emohead.motion.analytic.visemes import BILABIAL, target
from emohead.motion.animate import add_blinks, add_emotion, closed_neutral, loudness, scaled_head_motion, smooth
from emohead.motion.base import Motion, MotionInputs, MotionModel
from emohead.text.align import Phone

OPENING = bs.indices(("jawOpen", "mouthLowerDownLeft", "mouthLowerDownRight", "mouthUpperUpLeft", "mouthUpperUpRight", "mouthFunnel"))
SPEECH = bs.indices(bs.SPEECH_CHANNELS + ("mouthSmileLeft", "mouthSmileRight"))
# How wide the mouth opens, calibrated on real talking video: `python scripts/calibrate_mouth.py` re-creates 71
# real clips that nothing held back is among (CREMA-D, GRID, GRID s1, the weekly address) and measures the
# generated opening against the real speakers' 5-95 % range; with the fitted viseme openings (visemes.py) the
# scale that makes the median ratio 1 is 0.936 (median 0.993 with it; 1.078 went with the hand-set table). The
# per-clip spread (0.61-1.50) does not follow the loudness range (correlation +0.02; the loudness gain below
# already uses it) nor, within the 60 s1 sentences, the speaking rate or spectral tilt (-0.27, -0.22); the tilt
# tracks it across the 6 other GRID speakers (-0.89, six clips) but across recording sets it tracks the
# microphone (benchmarks/README.md), so no per-utterance scale beyond that gain. The range's top is set by loud
# speech, so the scale applies at full loudness and fades to none in silence (the mouth still rests closed in
# pauses). The timing below still holds with the fitted openings: median lag 0 frames over the 71 clips.
MOUTH_SCALE = 0.936
# When the mouth moves relative to the aligned phones, calibrated on the same real talking video: the real mouth
# lagged the visemes by a median of 1 frame (best-offset lags -5..+5 over 57 clips: GRID s1 sentences, CREMA-D,
# GRID, the weekly address; none held back; the trained eapc and mul2lm, which learnt timing from these data, lag
# 0), so the visemes are sampled 40 ms later (``python scripts/calibrate_mouth.py`` prints the lags).
VISEME_LAG = 0.04
LIP_SEAL = 0.92  # how much of the opening a bilabial's closure takes away at its centre


def viseme_curves(
    phones: list[Phone], n_frames: int, fps: float, decay: float = 0.07, lag: float = 0.0, targets=target
) -> tuple[np.ndarray, np.ndarray]:
    """Coarticulated speech blendshapes (T, 52) and bilabial closure strength (T,) in [0, 1].

    Frame k is sampled at its centre (k + 0.5) / fps, ``lag`` seconds behind the phones. A phone shorter than
    one frame is widened to one frame around its centre, so every phone reaches at least one frame.
    ``targets``: phone label -> ((52,) target, dominance), the viseme table unless a fit asks for another.
    """
    t = (np.arange(n_frames) + 0.5) / fps - lag
    num = np.zeros((n_frames, bs.COUNT), np.float64)
    den = np.full(n_frames, 1e-6)
    closure = np.zeros(n_frames, np.float32)
    half_frame = 0.5 / fps
    for p in phones:
        vec, dom = targets(p.label)
        c, h = (p.start + p.end) / 2, max((p.end - p.start) / 2, half_frame)
        lo, hi = np.searchsorted(t, [c - h - 6 * decay, c + h + 6 * decay])
        dist = np.maximum(np.abs(t[lo:hi] - c) - h, 0.0)
        d = dom * np.exp(-dist / decay)
        num[lo:hi] += d[:, None] * vec
        den[lo:hi] += d
        if p.label in BILABIAL:
            seal = np.clip(1.0 - dist / (1.5 * half_frame), 0.0, 1.0)
            closure[lo:hi] = np.maximum(closure[lo:hi], seal)
    return (num / den[:, None]).astype(np.float32), closure


def opening_gain(energy_db: np.ndarray, fps: float) -> np.ndarray:
    """(T,) how far the visemes open the mouth: 0.55 in quiet, 1.15 x ``MOUTH_SCALE`` at full loudness."""
    return 0.55 + (0.6 + 1.15 * (MOUTH_SCALE - 1)) * smooth(loudness(energy_db), 0.03, fps)


def envelope_curves(energy_db: np.ndarray, fps: float) -> np.ndarray:
    """Acoustic fallback (no phones): jaw follows the smoothed loudness."""
    r = smooth(loudness(energy_db), 0.04, fps)
    out = np.zeros((len(r), bs.COUNT), np.float32)
    out[:, bs.INDEX["jawOpen"]] = 0.5 * r**0.8
    out[:, bs.INDEX["mouthLowerDownLeft"]] = out[:, bs.INDEX["mouthLowerDownRight"]] = 0.15 * r
    return out


class AnalyticMotionModel(MotionModel):
    """Visemes + FACS emotion prototypes + blinks + head motion; no training, no weights."""

    name = "analytic"

    def __init__(self, head_motion: float = 1.0, blinks: bool = True):
        self.head_motion_scale = head_motion
        self.blinks = blinks

    def speech(self, inputs: MotionInputs) -> tuple[np.ndarray, np.ndarray]:
        """Speech-channel blendshapes (T, 52) and lip closure (T,)."""
        n, fps = inputs.n_frames, float(dims.FPS)
        energy = inputs.audio.energy_db
        if inputs.phones and any(p.label != "SIL" for p in inputs.phones):
            curves, closure = viseme_curves(inputs.phones, n, fps, lag=VISEME_LAG)
            curves[:, OPENING] *= opening_gain(energy, fps)[:, None]
        else:
            curves, closure = envelope_curves(energy, fps), np.zeros(n, np.float32)
        return curves, closure

    def _generate(self, inputs: MotionInputs) -> Motion:
        portrait, n, fps = inputs.portrait, inputs.n_frames, float(dims.FPS)
        rng = np.random.default_rng(inputs.seed)
        speech, closure = self.speech(inputs)

        w = np.zeros((n, bs.COUNT), np.float32)
        expressive = bs.indices(EXPRESSIVE)
        emotion = inputs.emotion.offset(n)  # the emotion's change against a relaxed face
        if emotion is not None:
            w[:, expressive] = load_prototypes().baseline[expressive]
        else:
            w[:, expressive] = portrait.blendshapes[expressive]
        gaze = bs.indices(bs.GAZE_CHANNELS)
        w[:, gaze] = portrait.blendshapes[gaze]
        rest = w[0].copy()  # the face before speech and emotion: the relaxed one, or the portrait's own
        neutral = closed_neutral(portrait.neutral, portrait.face_model.basis, w[0])
        w[:, SPEECH] += speech[:, SPEECH]
        if emotion is not None:
            w = add_emotion(w, emotion, portrait.face_model.basis)
        w[:, OPENING] *= (1.0 - LIP_SEAL * closure)[:, None]
        if self.blinks:
            add_blinks(w, fps, rng)
        np.clip(w, 0.0, 1.0, out=w)
        pose = scaled_head_motion(inputs, self.head_motion_scale, fps, rng)
        return Motion(blendshapes=w, pose=pose, neutral=neutral, face_model=portrait.face_model, fps=fps, rest=rest)
