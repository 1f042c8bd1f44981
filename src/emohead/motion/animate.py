"""The parts of motion every model shares: loudness, smoothing, blinks, head motion, and composing an
emotion onto speech without disturbing the lip sync.

Blinks (gamma-distributed, 280 ms) and small speech-driven head motion are added by every model whose
paper does not predict them; ``add_emotion`` is how an emotion offset meets speech: it adds to every
channel, and whatever its other channels would add to the inner-lip gap is cancelled through the jaw (speech owns
the gap's timing and swing); only the emotion's own jaw drop (FACS AU26, surprise's) opens it further.
"""

from __future__ import annotations

import numpy as np

from emohead import dims
from emohead.emotion.vocabulary import EMOTIONS
from emohead.errors import EmoheadError
from emohead.face import blendshapes as bs
from emohead.face.model import INNER_LIPS, lip_gap_gradient

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


def scaled_head_motion(inputs, scale: float, fps: float, rng: np.random.Generator) -> np.ndarray:
    """``head_motion`` for the inputs, its rotation scaled by ``scale`` (the --head-motion option)."""
    base = inputs.portrait.pose
    pose = head_motion(base, inputs.audio.energy_db, inputs.emotion.weights, fps, rng)
    pose[:, :3] = base[:3] + scale * (pose[:, :3] - base[:3])
    return pose


LOWER_LIP = ("mouthLowerDownLeft", "mouthLowerDownRight")  # what opens the lips further once the jaw is at its end


def add_emotion(w: np.ndarray, emotion: np.ndarray, basis: np.ndarray, keep: np.ndarray | None = None) -> np.ndarray:
    """Compose an emotion offset (T, 52) onto blendshapes (T, 52) that already carry speech.

    Emotion adds to every channel, mouth included (composed, never overwritten), and speech keeps
    the lip gap: whatever the emotion's other channels add to the inner-lip gap is cancelled through the jaw.
    Its own jawOpen (FACS AU26, the jaw drop of surprise) stays: a surprised speaker's mouth hangs open between
    the same movements. Cancelled as well (before 2026-12-07), it left surprise to brows and eyes, which the FER
    judge reads as neutral or sad (benchmarks/README.md, "Surprise drops the jaw").

    ``keep`` (T, 52): a share of each channel to keep (the analytic model's lip seal: 1 - LIP_SEAL x closure on
    the opening channels where the lips close for /m b p/). The gap is then the sealed speech's plus the sealed jaw
    drop; the jaw that cancels the other channels stays whole, since the brows of MediaPipe's basis narrow the gap
    (surprise's by 0.29 jaw units on the demo face) and a sealed cancellation pressed the lips through each other.
    Where the jaw would pass its end (1), the lower lip (mouthLowerDown) carries the rest of the gap: clipped, the
    widest surprised openings came out narrower than neutral's. Otherwise unclipped; the caller clips to [0, 1].
    """
    grad = lip_gap_gradient(basis)
    jaw = bs.INDEX["jawOpen"]
    keep = np.ones_like(w) if keep is None else keep
    out = (w + emotion) * keep
    target = (w * keep) @ grad + keep[:, jaw] * emotion[:, jaw] * grad[jaw]
    out[:, jaw] += (target - out @ grad) / grad[jaw]
    over, lower = np.maximum(out[:, jaw] - 1.0, 0.0), bs.indices(LOWER_LIP)
    if over.any() and grad[lower].sum() > 0:
        out[:, jaw] -= over
        out[:, lower] += (over * grad[jaw] / grad[lower].sum())[:, None]
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


def relative_pose(pose: np.ndarray, first: np.ndarray) -> np.ndarray:
    """(T, 6) pose -> (T, 6) relative to ``first``: rotation change (rad), translation in face scales, log scale."""
    out = np.empty((len(pose), dims.N_POSE), np.float32)
    out[:, :3] = pose[:, :3] - first[:3]
    out[:, 3:5] = (pose[:, 3:5] - first[3:5]) / max(float(first[5]), 1e-6)
    out[:, 5] = np.log(np.maximum(pose[:, 5], 1e-6) / max(float(first[5]), 1e-6))
    return out


def absolute_pose(rel: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Inverse of :func:`relative_pose`."""
    out = np.empty((len(rel), 6), np.float64)
    out[:, :3] = first[:3] + rel[:, :3]
    out[:, 3:5] = first[3:5] + rel[:, 3:5] * first[5]
    out[:, 5] = first[5] * np.exp(rel[:, 5])
    return out


MOUTH_FILE = "mouth.json"  # beside a trained model's weights: its mouth gain (scripts/calibrate_mouth.py --write)
EMOTION_FILE = "emotion.json"  # beside a landmark model's weights: its per-emotion gains (scripts/calibrate_emotion_gain.py --write)


def mouth_settings(folder) -> dict:
    """``folder/mouth.json``: the mouth ``gain`` (1 when there is none: a fresh training run), whether whisper's
    heard mouth is mixed in (``heard``, off unless the file says so: the gain was calibrated with it) and the heard
    curve's ``share`` of the opening's shape (``heard_share``, 0 < share <= 1; ``motion.heard.SHARE`` when unsaid)."""
    import json
    from pathlib import Path

    from emohead.motion.heard import SHARE

    path = Path(folder) / MOUTH_FILE
    doc = json.loads(path.read_text()) if path.is_file() else {}
    share = doc.get("heard_share", SHARE)
    if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0.0 < share <= 1.0:
        raise EmoheadError(f'{path}: "heard_share" must be a number above 0 and at most 1, not {share!r}')
    return {"gain": float(doc.get("gain", 1.0)), "heard": bool(doc.get("heard", False)), "share": float(share)}


def mouth_gain(folder) -> float:
    """The gain in ``folder/mouth.json`` (1 when there is none: a fresh training run), for a model that does not mix
    in the heard mouth: a file asking for it is a one-line error, not ignored."""
    settings = mouth_settings(folder)
    if settings["heard"]:
        raise EmoheadError(f'{folder}/{MOUTH_FILE} asks for the heard mouth, which only eapc and mul2lm mix in: remove its "heard" entry')
    return settings["gain"]


def widen_mouth(w: np.ndarray, gain: float) -> np.ndarray:
    """Scale the speech channels' movement from their most closed value by ``gain``, in place: a regression or a
    guided sampler narrows the opening, and the calibrated gain restores the real speakers' range."""
    speech = bs.indices(bs.SPEECH_CHANNELS)
    rest = w[:, speech].min(0)
    w[:, speech] = rest + gain * (w[:, speech] - rest)
    return w
