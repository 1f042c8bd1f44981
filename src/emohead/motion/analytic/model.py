"""The analytic motion model: emohead's training-free default.

Speech: each aligned phone pulls the mouth toward its viseme target with a dominance that decays
with distance from the phone (Cohen & Massaro 1993 coarticulation); bilabials (/p b m/) then seal
the lips as a hard constraint, and loudness and vocal effort scale how far the jaw opens. The lips part
for a breath before the first words and in pauses between phrases, and a phrase's last phone ends where its
sound does (all calibrated on real talking video, comments below). With the ``asr`` extra, whisper's encoder also
hears how this voice opens the mouth, and half the opening's shape comes from that (``heard``: a linear readout fitted
on real video, the model's one set of learnt numbers). Without phones the mouth follows the speech envelope (acoustic
fallback, any language).
Emotion: calibrated FACS prototypes (``emotion.prototypes``), weighted per frame by the label,
timeline or intensity curve, or a reference portrait's expression, added to the expressive channels;
speech channels are composed (emotion adds to them), never overwritten. Plus seeded natural blinks
and small speech-driven head motion around the portrait's own pose (``motion.animate``).
"""

from __future__ import annotations

import numpy as np

from emohead import dims
from emohead.audio.features import vocal_effort_db
from emohead.emotion.prototypes import EXPRESSIVE, load_prototypes
from emohead.face import blendshapes as bs
from emohead.motion.analytic.visemes import BILABIAL, target
from emohead.motion.animate import add_blinks, add_emotion, closed_neutral, loudness, scaled_head_motion, smooth
from emohead.motion.base import Motion, MotionInputs, MotionModel
from emohead.motion.heard import OPENING, heard_opening, heard_states, with_heard_mouth
from emohead.text.align import Phone, phrase_pauses

SPEECH = bs.indices(bs.SPEECH_CHANNELS + ("mouthSmileLeft", "mouthSmileRight"))
# How wide the mouth opens, calibrated on real talking video: `python scripts/calibrate_mouth.py` re-creates 71
# real clips of 8 speakers that nothing held back is among (CREMA-D, GRID, GRID s1, the weekly address) and
# measures the generated opening against the real speaker's 5-95 % range (benchmarks/README.md). Two parts:
# - Vocal effort: effortful speech is produced with a wider jaw (Schulman 1989, "Articulatory dynamics of loud and
#   normal speech") and has a flatter spectrum (``audio.features.vocal_effort_db``). Without this scale the log
#   ratio fell by 0.0287 per dB of effort over the 71 clips (correlation -0.53; within CREMA-D, the other GRID
#   speakers and the s1 sentences -0.54, -0.60, -0.15), and each speaker predicted from the other seven landed
#   within 0.75-1.33 on 85 % of clips with the effort, 31 % with one scale (CREMA-D's actor opens wide, GRID s1
#   narrow; CREMA-D predicted from the GRID studio and the weekly address alone: 0.98). So loud speech opens
#   exp(EFFORT_SLOPE (effort - EFFORT_REF)) times wider; EFFORT_SLOPE is calibrated like MOUTH_SCALE (larger than
#   0.0287 because quiet frames do not scale). The reference is GRID s1's median effort, where the viseme
#   openings were fitted (visemes.py); the effort is held to the calibration clips' range. A brighter microphone
#   also reads as effort: the caveat.
# - MOUTH_SCALE: with the effort scale, the scale that makes the median over speakers (each speaker's median
#   ratio) 1: median 0.996 with it, remaining slope +0.0016 per dB; spread 5-95 % over clips 0.73-1.39 (0.65-1.38
#   with one scale, measured with the earlier 0.07 s coarticulation decay, as were the effort figures above; the
#   sharper 0.05 s visemes open 7.7 % wider, so the scale went 0.826 -> 0.760).
# Both apply at full loudness and fade to none in silence, since the range's top is set by loud speech (the mouth
# still rests closed in pauses). The loudness range and speaking rate do not predict the ratio (-0.24, -0.26;
# within sets of opposite signs). The timing below still holds: median lag 0 frames.
MOUTH_SCALE = 0.760
EFFORT_REF, EFFORT_SLOPE, EFFORT_RANGE = -22.0, 0.0325, (-26.0, -5.0)  # dB, per dB, dB (the calibration clips: -26.2 to -5.0)
# When the mouth moves relative to the aligned phones, calibrated on the same real talking video: the real mouth
# lagged the visemes by a median of 1 frame (best-offset lags -5..+5 over 57 clips: GRID s1 sentences, CREMA-D,
# GRID, the weekly address; none held back; the trained eapc and mul2lm, which learnt timing from these data, lag
# 0), so the visemes are sampled 40 ms later (``python scripts/calibrate_mouth.py`` prints the lags).
VISEME_LAG = 0.04
# Before the first words real speakers part their lips as they breathe in: over the 60 calibration clips with 0.48 s
# of leading silence or more, the real opening (over each clip's 95th percentile) has a median of 0.02 until 0.4 s
# before the first phone, then peaks at 0.33 at 0.16-0.2 s before it, where the visemes gave 0.09-0.12. The breath
# is a share of the open vowel's opening (``BREATH``), a raised cosine ``BREATH_HALF`` seconds either side of
# ``BREATH_LEAD`` before the first phone, grid-searched for the mean r over the 71 calibration clips of
# ``scripts/calibrate_mouth.py`` (shares 0.1-0.7, leads 0.14-0.4 s, half-widths 0.1-0.4 s; flat from 0.2 to 0.25):
# 0.705 -> 0.722 as the script reports it. Only before the first words: the calibration clips hardly pause inside.
BREATH, BREATH_LEAD, BREATH_HALF = 0.2, 0.24, 0.3
# At the end of a sentence the real mouth closes as the sound fades: over the 71 calibration clips the real
# opening is down to 0.23 of its top at the aligned end of the last phone and 0.07 80 ms later, where the visemes
# gave 0.47 and 0.27, because the aligner stretches the last phone over breath and room noise. So a phrase's last
# phone ends with its last frame within ``END_DROP_DB`` of the loud level (``trim_phrase_ends``), grid-searched on
# the calibration clips (6-15 dB; flat from 10 to 15): mean r 0.722 -> 0.731 as the script reports it; 0.812 ->
# 0.819 on 199 GRID s1 sentences no fit saw.
END_DROP_DB = 12.0
# In a pause inside connected speech the real mouth does not stay shut: it closes as the phrase ends, then the lips
# part while the speaker breathes in, until the next phrase. In the weekly address (the one calibration clip with
# pauses inside speech: six of 0.35 s or more, its picture put in step with its sound, ``data.corpus.AV_OFFSETS``)
# the real opening over its 95th percentile is 0.18-0.27 at 0.2-0.3 s into a pause and 0.58-0.69 from 0.5 s on,
# where the visemes gave under 0.05. So from ``PAUSE_CLOSE`` seconds into a pause of ``PHRASE_PAUSE`` seconds or more,
# the lips part to ``PAUSE_OPEN`` of the open vowel's opening over ``PAUSE_RISE`` seconds (a half cosine) and stay
# parted to the next phrase. Grid-searched on that clip alone (shares 0.2-0.4, delays 0.2-0.4 s, rises 0.2-0.6 s):
# its r 0.453 -> 0.486; no other calibration clip has such a pause. The GRID sentences and the breath before the
# first words are untouched: a speaker waiting to begin rests with the lips closed.
PAUSE_CLOSE, PAUSE_RISE, PAUSE_OPEN = 0.3, 0.4, 0.3  # in pauses of text.align.PHRASE_PAUSE (0.3 s) or more
LIP_SEAL = 0.92  # how much of the opening a bilabial's closure takes away at its centre
# How far a phone's shape reaches into its neighbours: its dominance falls by 1/e every ``COARTICULATION_DECAY``
# seconds outside it (Cohen & Massaro's time constant). Chosen on the 71 calibration clips of
# ``scripts/calibrate_mouth.py``, each speaker's mean r counted once (8 speakers; nothing held back): 0.09 / 0.07 /
# 0.05 / 0.04 / 0.03 s gave 0.664 / 0.676 / 0.684 / 0.685 / 0.681 (0.07 was hand-set), and the linear predictor of
# ``scripts/fit_visemes.py`` on the other speakers' clips 0.705 -> 0.716 at 0.05 with the openings as they are (a
# refit at 0.05 moved them by under 0.01 eye-distance and read 0.709, so they stay).
COARTICULATION_DECAY = 0.05


def viseme_curves(
    phones: list[Phone], n_frames: int, fps: float, decay: float = COARTICULATION_DECAY, lag: float = 0.0, targets=target
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


def effort_scale(effort_db: np.ndarray) -> np.ndarray:
    """(T,) how much more than at ``EFFORT_REF`` loud speech opens the mouth at this vocal effort (``vocal_effort_db``)."""
    return np.exp(EFFORT_SLOPE * (np.clip(effort_db, *EFFORT_RANGE) - EFFORT_REF)).astype(np.float32)


def opening_gain(energy_db: np.ndarray, fps: float, effort_db: np.ndarray | None = None) -> np.ndarray:
    """(T,) how far the visemes open the mouth: 0.55 in quiet, 1.15 x the scale at full loudness; the scale is
    ``MOUTH_SCALE`` times the vocal effort's (``MOUTH_SCALE`` alone without ``effort_db``: speech at ``EFFORT_REF``)."""
    scale = MOUTH_SCALE if effort_db is None else MOUTH_SCALE * effort_scale(effort_db)
    return 0.55 + (0.6 + 1.15 * (scale - 1)) * smooth(loudness(energy_db), 0.03, fps)


def trim_phrase_ends(phones: list[Phone], energy_db: np.ndarray, fps: float) -> list[Phone]:
    """The phones with each phrase's last phone (one before a pause or the end) ending where its sound does: after
    the last frame within ``END_DROP_DB`` of the speech's loud level (the 90th percentile of the frame loudness
    within 5 s). A forced aligner stretches that phone over trailing breath and noise, where the mouth has closed."""
    out, half = [], int(5 * fps)
    for i, p in enumerate(phones):
        out.append(p)
        if p.label == "SIL" or (i + 1 < len(phones) and phones[i + 1].label != "SIL"):
            continue
        lo, hi = int(p.start * fps), min(int(np.ceil(p.end * fps)), len(energy_db))
        if hi <= lo:
            continue
        level = np.percentile(energy_db[max(0, lo - half) : lo + half], 90)
        sounding = np.nonzero(energy_db[lo:hi] >= level - END_DROP_DB)[0]
        end = (lo + sounding[-1] + 1) / fps if len(sounding) else p.end
        if end < p.end:
            out[-1] = Phone(p.label, p.start, end, p.word, p.word_index)
            out.append(Phone("SIL", end, p.end))
    return out


def breath_envelope(phones: list[Phone], n_frames: int, fps: float, lag: float = 0.0) -> np.ndarray:
    """(T,) in [0, 1]: the lips part before the first words, as real speakers' do while they breathe in: a raised
    cosine ``BREATH_HALF`` seconds either side of ``BREATH_LEAD`` before the first phone that is not silence,
    on frames sampled as :func:`viseme_curves` samples them (none without a first phone)."""
    onset = next((p.start for p in phones if p.label != "SIL"), None)
    if onset is None:
        return np.zeros(n_frames, np.float32)
    t = (np.arange(n_frames) + 0.5) / fps - lag
    d = np.clip(np.abs(t - (onset - BREATH_LEAD)) / BREATH_HALF, 0.0, 1.0)
    return (0.5 + 0.5 * np.cos(np.pi * d)).astype(np.float32)


def pause_envelope(phones: list[Phone], n_frames: int, fps: float, lag: float = 0.0) -> np.ndarray:
    """(T,) in [0, 1]: the lips part in each pause between phrases (``text.align.phrase_pauses``), rising from
    ``PAUSE_CLOSE`` seconds after the first one ends over ``PAUSE_RISE`` seconds and held until the second one
    starts, on frames sampled as :func:`viseme_curves` samples them."""
    t = (np.arange(n_frames) + 0.5) / fps - lag
    out = np.zeros(n_frames, np.float32)
    for end, start in phrase_pauses(phones):
        inside = (t >= end) & (t < start)
        rise = np.clip((t[inside] - end - PAUSE_CLOSE) / PAUSE_RISE, 0.0, 1.0)
        out[inside] = np.maximum(out[inside], 0.5 - 0.5 * np.cos(np.pi * rise))
    return out


def envelope_curves(energy_db: np.ndarray, fps: float) -> np.ndarray:
    """Acoustic fallback (no phones): jaw follows the smoothed loudness."""
    r = smooth(loudness(energy_db), 0.04, fps)
    out = np.zeros((len(r), bs.COUNT), np.float32)
    out[:, bs.INDEX["jawOpen"]] = 0.5 * r**0.8
    out[:, bs.INDEX["mouthLowerDownLeft"]] = out[:, bs.INDEX["mouthLowerDownRight"]] = 0.15 * r
    return out


class AnalyticMotionModel(MotionModel):
    """Visemes (+ whisper's heard mouth) + FACS emotion prototypes + blinks + head motion; no network, no training loop."""

    name = "analytic"

    def __init__(self, head_motion: float = 1.0, blinks: bool = True):
        self.head_motion_scale = head_motion
        self.blinks = blinks

    def speech(self, inputs: MotionInputs) -> tuple[np.ndarray, np.ndarray]:
        """Speech-channel blendshapes (T, 52) and lip closure (T,)."""
        n, fps = inputs.n_frames, float(dims.FPS)
        energy = inputs.audio.energy_db
        if inputs.phones and any(p.label != "SIL" for p in inputs.phones):
            phones = trim_phrase_ends(inputs.phones, energy, fps)
            curves, closure = viseme_curves(phones, n, fps, lag=VISEME_LAG)
            effort = vocal_effort_db(inputs.audio.mfcc100, n)
            curves[:, OPENING] *= opening_gain(energy, fps, effort)[:, None]
            breath = BREATH * breath_envelope(inputs.phones, n, fps, lag=VISEME_LAG)  # before the first words
            pause = PAUSE_OPEN * pause_envelope(phones, n, fps, lag=VISEME_LAG)  # between phrases
            curves[:, OPENING] = np.maximum(curves[:, OPENING], np.maximum(breath, pause)[:, None] * target("AH")[0][OPENING])
            states = heard_states(inputs)  # whisper's encoder, with the asr extra: the mouth as this voice sounds
            if states is not None:
                kept = 1.0 - LIP_SEAL * closure  # the gap is measured sealed: a bilabial still closes the lips
                curves = with_heard_mouth(curves, heard_opening(states), inputs.portrait.face_model.basis, phones, fps, VISEME_LAG, kept)
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
        keep = np.ones_like(w)
        keep[:, OPENING] = (1.0 - LIP_SEAL * closure)[:, None]  # the lips close for /m b p/
        w = add_emotion(w, emotion, portrait.face_model.basis, keep) if emotion is not None else w * keep
        if self.blinks:
            add_blinks(w, fps, rng)
        np.clip(w, 0.0, 1.0, out=w)
        pose = scaled_head_motion(inputs, self.head_motion_scale, fps, rng)
        return Motion(blendshapes=w, pose=pose, neutral=neutral, face_model=portrait.face_model, fps=fps, rest=rest)
