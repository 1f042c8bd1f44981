"""The mouth as whisper's encoder hears it, mixed with the visemes (the analytic model, with the ``asr`` extra).

The visemes know which sound is said and when, from the aligned phones; they do not hear how this speaker says it.
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
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from emohead.dims import WHISPER_DIM
from emohead.errors import EmoheadError

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
