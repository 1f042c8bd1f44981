"""The analytic motion model: emohead's training-free default.

Speech: each aligned phone pulls the mouth toward its viseme target with a dominance that decays
with distance from the phone (Cohen & Massaro 1993 coarticulation); bilabials (/p b m/) then seal
the lips as a hard constraint, and loudness scales how far the jaw opens. Without phones the mouth
follows the speech envelope (acoustic fallback, any language).
Emotion: calibrated FACS prototypes (``emotion.prototypes``), weighted per frame by the timeline, or a
reference portrait's expression, added to the expressive channels; speech channels are composed
(emotion adds to them), never overwritten. Plus seeded natural blinks and small speech-driven head
motion around the portrait's own pose.
"""

from __future__ import annotations

import numpy as np

from emohead.emotion.prototypes import EXPRESSIVE, load_prototypes
from emohead.emotion.vocabulary import EMOTIONS
from emohead.face import blendshapes as bs
from emohead.motion.base import Motion, MotionInputs, MotionModel
from emohead.motion.visemes import BILABIAL, target
from emohead.text.align import Phone

OPENING = bs.indices(("jawOpen", "mouthLowerDownLeft", "mouthLowerDownRight", "mouthUpperUpLeft", "mouthUpperUpRight", "mouthFunnel"))
SPEECH = bs.indices(bs.SPEECH_CHANNELS + ("mouthSmileLeft", "mouthSmileRight"))
INNER_LIPS = (np.array([82, 13, 312]), np.array([87, 14, 317]))  # upper / lower inner-lip mesh vertices
BLINK_SHAPE = np.array([0.35, 0.85, 1.0, 0.85, 0.5, 0.2, 0.05], np.float32)  # 7 frames at 25 fps = 280 ms


def loudness(energy_db: np.ndarray) -> np.ndarray:
    """Per-frame loudness in [0, 1] relative to this recording (10th..95th percentile of speech level)."""
    lo, hi = np.percentile(energy_db, 10), np.percentile(energy_db, 95)
    return np.clip((energy_db - lo) / max(hi - lo, 6.0), 0.0, 1.0).astype(np.float32)


def smooth(x: np.ndarray, seconds: float, fps: float) -> np.ndarray:
    """Gaussian smoothing along axis 0."""
    sigma = seconds * fps
    if sigma <= 0.3:
        return x
    r = int(3 * sigma)
    k = np.exp(-0.5 * (np.arange(-r, r + 1) / sigma) ** 2)
    k /= k.sum()
    pad = np.pad(x, [(r, r)] + [(0, 0)] * (x.ndim - 1), mode="edge")
    return np.apply_along_axis(lambda c: np.convolve(c, k, mode="valid"), 0, pad)


def viseme_curves(phones: list[Phone], n_frames: int, fps: float, decay: float = 0.07) -> tuple[np.ndarray, np.ndarray]:
    """Coarticulated speech blendshapes (T, 52) and bilabial closure strength (T,) in [0, 1].

    Frame k is sampled at its centre (k + 0.5) / fps. A phone shorter than one frame is widened to
    one frame around its centre, so every phone reaches at least one frame.
    """
    t = (np.arange(n_frames) + 0.5) / fps
    num = np.zeros((n_frames, bs.COUNT), np.float64)
    den = np.full(n_frames, 1e-6)
    closure = np.zeros(n_frames, np.float32)
    half_frame = 0.5 / fps
    for p in phones:
        vec, dom = target(p.label)
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


def envelope_curves(energy_db: np.ndarray, fps: float) -> np.ndarray:
    """Acoustic fallback (no phones): jaw follows the smoothed loudness."""
    r = smooth(loudness(energy_db), 0.04, fps)
    out = np.zeros((len(r), bs.COUNT), np.float32)
    out[:, bs.INDEX["jawOpen"]] = 0.5 * r**0.8
    out[:, bs.INDEX["mouthLowerDownLeft"]] = out[:, bs.INDEX["mouthLowerDownRight"]] = 0.15 * r
    return out


def blink_track(n_frames: int, fps: float, rng: np.random.Generator, mean_interval: float = 3.2) -> np.ndarray:
    """(T,) eyelid closure: blinks at gamma-distributed intervals (at least 1.2 s apart)."""
    out = np.zeros(n_frames, np.float32)
    t = rng.uniform(0.8, 2.0)
    while True:
        k = int(t * fps)
        if k >= n_frames:
            return out
        seg = BLINK_SHAPE[: n_frames - k]
        out[k : k + len(seg)] = np.maximum(out[k : k + len(seg)], seg)
        t += max(1.2, rng.gamma(4.0, mean_interval / 4.0))


def head_motion(base: np.ndarray, energy_db: np.ndarray, weights: np.ndarray | None, fps: float, rng: np.random.Generator) -> np.ndarray:
    """(T, 6) pose: the portrait's pose plus nods with loud syllables and slow sway, both small."""
    n = len(energy_db)
    t = np.arange(n) / fps
    active = smooth(loudness(energy_db), 0.5, fps)
    nod = smooth(loudness(energy_db), 0.12, fps) - active
    pose = np.repeat(base[None].astype(np.float64), n, axis=0)
    for axis, amp in ((0, 0.012), (1, 0.025), (2, 0.012)):  # radians
        freqs = rng.uniform(0.08, 0.45, 3)
        phases = rng.uniform(0, 2 * np.pi, 3)
        sway = sum(np.sin(2 * np.pi * f * t + ph) for f, ph in zip(freqs, phases)) / 3
        pose[:, axis] += amp * (0.4 + 0.6 * active) * sway
    pose[:, 0] += 0.05 * nod
    if weights is not None:  # sad droops (+pitch looks down), surprise lifts, happy livelier
        w = {e: weights[:, i] for i, e in enumerate(EMOTIONS)}
        pose[:, 0] += 0.06 * w["sad"] - 0.04 * w["surprise"] + 0.02 * w["angry"]
        pose[:, :3] += (pose[:, :3] - base[:3]) * 0.3 * w["happy"][:, None]
    return pose


def add_blinks(w: np.ndarray, fps: float, rng: np.random.Generator) -> None:
    """Blinks (``blink_track``) raised onto the eyelid channels of ``w`` (T, 52), in place."""
    blink = blink_track(len(w), fps, rng)
    for ch in bs.BLINK_CHANNELS:
        w[:, bs.INDEX[ch]] = np.maximum(w[:, bs.INDEX[ch]], blink)


def scaled_head_motion(inputs: MotionInputs, scale: float, fps: float, rng: np.random.Generator) -> np.ndarray:
    """``head_motion`` for the inputs, its rotation scaled by ``scale`` (the --head-motion option)."""
    base = inputs.portrait.pose
    pose = head_motion(base, inputs.audio.energy_db, inputs.emotion.weights, fps, rng)
    pose[:, :3] = base[:3] + scale * (pose[:, :3] - base[:3])
    return pose


def lip_gap_gradient(basis: np.ndarray) -> np.ndarray:
    """(52,) change of the inner-lip gap (canonical units) per unit of each channel: the gap is linear in w."""
    upper, lower = INNER_LIPS
    return basis[:, lower, 1].mean(1) - basis[:, upper, 1].mean(1)


def add_emotion(w: np.ndarray, emotion: np.ndarray, basis: np.ndarray) -> np.ndarray:
    """Compose an emotion offset (T, 52) onto blendshapes (T, 52) that already carry speech.

    Emotion adds to every channel, mouth included (composed, never overwritten), and speech keeps
    the lip gap: whatever the emotion adds to the inner-lip gap is cancelled through the jaw.
    Unclipped; the caller clips to [0, 1].
    """
    grad = lip_gap_gradient(basis)
    out = w + emotion
    out[:, bs.INDEX["jawOpen"]] -= (emotion @ grad) / grad[bs.INDEX["jawOpen"]]
    return out


def closed_neutral(neutral: np.ndarray, basis: np.ndarray, w_rest: np.ndarray, rest_gap: float = 0.004) -> np.ndarray:
    """The identity's neutral shape moved along the jaw direction so the lips just meet at rest.

    A portrait's own mouth state (open mid-word, or closed with MediaPipe still reporting some
    jawOpen) should not decide how the mouth rests between words.
    """
    upper, lower = INNER_LIPS
    gap = float((neutral[lower, 1] - neutral[upper, 1]).mean() + w_rest @ lip_gap_gradient(basis))
    jaw = basis[bs.INDEX["jawOpen"]]
    per_unit = float((jaw[lower, 1] - jaw[upper, 1]).mean())
    shift = np.clip((rest_gap - gap) / per_unit, -0.6, 0.6)
    return (neutral + shift * jaw).astype(np.float32)


class AnalyticMotionModel(MotionModel):
    """Visemes + FACS emotion prototypes + blinks + head motion; no training, no weights."""

    name = "analytic"

    def __init__(self, head_motion: float = 1.0, blinks: bool = True):
        self.head_motion_scale = head_motion
        self.blinks = blinks

    def speech(self, inputs: MotionInputs) -> tuple[np.ndarray, np.ndarray]:
        """Speech-channel blendshapes (T, 52) and lip closure (T,)."""
        n, fps = inputs.n_frames, 25.0
        energy = inputs.audio.energy_db
        if inputs.phones and any(p.label != "SIL" for p in inputs.phones):
            curves, closure = viseme_curves(inputs.phones, n, fps)
            gain = 0.55 + 0.6 * smooth(loudness(energy), 0.03, fps)
            curves[:, OPENING] *= gain[:, None]
        else:
            curves, closure = envelope_curves(energy, fps), np.zeros(n, np.float32)
        return curves, closure

    def generate(self, inputs: MotionInputs) -> Motion:
        portrait, n, fps = inputs.portrait, inputs.n_frames, 25.0
        rng = np.random.default_rng(inputs.seed)
        protos = load_prototypes()
        cond = inputs.emotion
        speech, closure = self.speech(inputs)

        w = np.zeros((n, bs.COUNT), np.float32)
        expressive = bs.indices(EXPRESSIVE)
        emotion = np.zeros((n, bs.COUNT), np.float32)  # the emotion's change against a relaxed face
        if cond.weights is not None:
            emotion = cond.weights @ protos.matrix
        elif cond.reference is not None:
            emotion[:, expressive] = cond.reference[expressive]
        if cond.weights is not None or cond.reference is not None:
            w[:, expressive] = protos.baseline[expressive]
        else:
            w[:, expressive] = portrait.blendshapes[expressive]
        gaze = bs.indices(bs.GAZE_CHANNELS)
        w[:, gaze] = portrait.blendshapes[gaze]
        neutral = closed_neutral(portrait.neutral, portrait.face_model.basis, w[0])
        w[:, SPEECH] += speech[:, SPEECH]
        w = add_emotion(w, emotion, portrait.face_model.basis)
        w[:, OPENING] *= (1.0 - 0.92 * closure)[:, None]
        if self.blinks:
            add_blinks(w, fps, rng)
        np.clip(w, 0.0, 1.0, out=w)
        pose = scaled_head_motion(inputs, self.head_motion_scale, fps, rng)
        return Motion(blendshapes=w, pose=pose, neutral=neutral, face_model=portrait.face_model, fps=fps)
