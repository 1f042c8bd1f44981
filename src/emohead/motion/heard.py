"""The mouth as whisper's encoder hears it, mixed with a motion model's own (with the ``asr`` extra).

The analytic model's visemes know which sound is said and when, from the aligned phones; they do not hear how this
speaker says it.
Whisper's encoder, trained on many voices, does: a linear readout of its states (each frame with ``CONTEXT``
neighbours on either side; ridge regression, no network) follows the real inner-lip opening of speakers it was not
fitted on. ``scripts/fit_mouth_probe.py`` fits it on real talking video (GRID s1 sentences 0:760 of the corpus and
the other real clips that are neither held back nor the validation clip), each clip's opening standardised, so it
predicts the shape of the opening, not its size.

The analytic mouth's own opening keeps its size (``MOUTH_SCALE``, the vocal effort, pauses, closures): the heard
curve is put on its scale, mixed with it half and half (``SHARE``), and the difference is taken up by the jaw. The
share was set to an equal mix before anything was scored (harness in benchmarks/README.md, "The mouth as whisper
hears it"): left-out speakers 0.680 -> 0.773, the 199 unseen s1 sentences 0.826 -> 0.902, the validation clip
0.688 -> 0.705. Without the ``asr`` extra (no whisper) or without a recording on disk, the visemes are used alone.

The trained landmark models (eapc, mul2lm) mix it in the same way when asked (``heard_mouth=True``, or ``"heard": true``
in their weights folder's ``mouth.json``, at its ``"heard_share"``, with the gain calibrated with it). Held back, half
the shape lifts eapc 0.523 -> 0.691 and mul2lm 0.587 -> 0.713, but their openings' range then matches the real
speakers' on one clip fewer; the bundled eapc mixes in a quarter (0.523 -> 0.613, the range as before), mul2lm's
bundle none (weights README, "The heard mouth for eapc and mul2lm" and "eapc hears a quarter").
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from emohead.dims import WHISPER_DIM
from emohead.errors import EmoheadError
from emohead.face import blendshapes as bs
from emohead.face.model import lip_gap_gradient
from emohead.motion.animate import smooth
from emohead.text.align import Phone, phrase_pauses

OPENING = bs.indices(bs.OPENING_CHANNELS)
JAW = bs.INDEX["jawOpen"]

NAME = "mouth_probe"  # bundled weights: assets/weights/mouth_probe
CONTEXT = 2  # frames either side of each whisper state the readout sees
SHARE = 0.5  # the heard curve's share of the mixed opening


@lru_cache(maxsize=1)
def load_probe(name: str = NAME) -> tuple[np.ndarray, float]:
    """(weights ((2 CONTEXT + 1) x 384,), bias): the readout from whisper states in context to a standardised opening."""
    from emohead.weights import load_artifact

    config, tensors, _ = load_artifact(name, "MouthProbe")
    if config.get("context") != CONTEXT or tensors["weight"].shape != ((2 * CONTEXT + 1) * WHISPER_DIM,):
        raise EmoheadError(
            f"{name}: a readout of {config.get('context')} frames of context, not {CONTEXT}; fit it again with scripts/fit_mouth_probe.py"
        )
    return tensors["weight"].astype(np.float32), float(tensors["bias"][0])


def heard_opening(states: np.ndarray) -> np.ndarray:
    """(T,) the opening whisper's states (T, 384) predict, in the standardised units it was fitted to: the readout of
    ``motion.speech.with_context(states, CONTEXT)``, summed over the context's shifts so an hour's states are not copied 5 times."""
    weight, bias = load_probe()
    n, k = len(states), CONTEXT
    padded = np.pad(states, ((k, k), (0, 0)), mode="edge")
    blocks = weight.reshape(2 * k + 1, states.shape[1])
    return sum(padded[j : j + n] @ blocks[j] for j in range(2 * k + 1)) + bias


def standardised(x: np.ndarray) -> np.ndarray | None:
    """``x`` with mean 0 and standard deviation 1, or None where it does not vary."""
    sd = float(np.std(x))
    return None if sd < 1e-9 else (x - float(np.mean(x))) / sd


def mixed_opening(own: np.ndarray, heard: np.ndarray, share: float = SHARE) -> np.ndarray:
    """(T,) the opening with ``own``'s mean and spread whose shape is ``share`` of ``heard``'s and the rest
    ``own``'s (both standardised, the mix standardised again); ``own`` unchanged where either does not vary."""
    a, b = standardised(own), standardised(heard)
    if a is None or b is None:
        return own
    mix = standardised(share * b + (1.0 - share) * a)
    if mix is None:
        return own
    return float(np.mean(own)) + float(np.std(own)) * mix


def heard_states(inputs) -> np.ndarray | None:
    """Whisper's encoder states (T, 384) for the inputs' recording, or None without the ``asr`` extra or a file."""
    from emohead.text.asr import whisper_available

    if inputs.audio_path is None or not whisper_available():
        return None
    from emohead.motion.speech import speech_frames

    return speech_frames("whisper", inputs)


def with_heard_mouth(
    curves: np.ndarray,
    heard: np.ndarray,
    basis: np.ndarray,
    phones: list[Phone],
    fps: float,
    lag: float = 0.0,
    kept=None,
    share: float = SHARE,
) -> np.ndarray:
    """``curves`` (T, 52) with the jaw moved so that the inner-lip gap their opening channels give keeps its mean and
    spread but takes ``share`` of its shape (half by default) from ``heard`` (T,), the opening whisper's states
    predict (``mixed_opening``).
    ``kept`` (T,), where given, is the share of the opening a bilabial seal leaves (the analytic model's): the gap is
    measured sealed, so the seal still wins. Not in pauses between phrases (``text.align.phrase_pauses``, phones
    shifted by ``lag`` seconds, eased over 0.1 s): the readout was fitted on sentences that hardly pause inside, and
    the pause's closing and parted lips are calibrated on the weekly address."""
    grad = lip_gap_gradient(basis)
    opening = curves[:, OPENING] if kept is None else curves[:, OPENING] * kept[:, None]
    gap = opening @ grad[OPENING]
    t = (np.arange(len(gap)) + 0.5) / fps - lag
    paused = np.zeros(len(gap), np.float32)
    for end, start in phrase_pauses(phones):
        paused[(t >= end) & (t < start)] = 1.0
    mix = 1.0 - np.clip(smooth(paused, 0.05, fps), 0.0, 1.0)
    out = curves.copy()
    out[:, JAW] += mix * (mixed_opening(gap, heard[: len(gap)], share) - gap) / grad[JAW]
    return out
