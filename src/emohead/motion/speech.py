"""The speech features a trained motion model reads per video frame, the same in training and at inference.

- ``"mfcc"``: the 28 x 12 MFCC window around each frame (EAPC's input), flattened: 336 per frame.
- ``"whisper"``: whisper tiny.en's encoder states (the ``asr`` extra), 384 per frame: the offline stand-in for
  the wav2vec2 features MEDTalk and Hallo (MF-ETalk's base) read. Both are speech encoders trained on many
  voices, so a voice a model never heard lands near the ones it did. EmoSpeaker reads them too, though its paper
  reads MFCC (its held-back lip sync: 0.654 against 0.420; weights README). A linear probe from the features of +-2
  frames to the jaw, fitted on the corpus's real training clips, follows the held-back speakers at r 0.60 from
  these states against 0.41 from the MFCC windows (the validation speaker: 0.81 against 0.54).

Training reads them from the feature cache (``whisper`` is there only when it was prepared with
``--whisper-features``); inference computes them from the recording, 30 s at a time.
"""

from __future__ import annotations

import numpy as np

from emohead import dims
from emohead.audio.features import flat_mfcc_windows
from emohead.errors import EmoheadError

SPEECH_DIMS = {"mfcc": dims.MFCC_WINDOW_FLAT, "whisper": dims.WHISPER_DIM}
CACHE_KEYS = {"mfcc": "mfcc_window", "whisper": "whisper"}


def with_context(x: np.ndarray, k: int = 2) -> np.ndarray:
    """(T, D) -> (T, (2k + 1) D): each frame with its k neighbours on either side (edges repeated)."""
    padded = np.pad(x, ((k, k), (0, 0)), mode="edge")
    return np.concatenate([padded[i : i + len(x)] for i in range(2 * k + 1)], 1)


def check_speech(kind: str) -> str:
    if kind not in SPEECH_DIMS:
        raise ValueError(f"unknown speech feature {kind!r}; one of {', '.join(SPEECH_DIMS)}")
    return kind


def speech_frames(kind: str, inputs, raw_mfcc: bool = False) -> np.ndarray:
    """(T, SPEECH_DIMS[kind]) for analysed :class:`~emohead.motion.base.MotionInputs`; whisper's states are read once
    per recording (kept in ``inputs.speech``, which copies made by ``with_emotion`` share).

    ``raw_mfcc``: the MFCC window as cached, (T, 28, 12) and unscaled, which is what the window datasets of eapc and
    emospeaker give their networks in training (medtalk's and mfetalk's read :func:`cached_speech`, scaled)."""
    if check_speech(kind) == "mfcc":
        return inputs.audio.mfcc_window if raw_mfcc else flat_mfcc_windows(inputs.audio.mfcc_window)
    if kind not in inputs.speech or len(inputs.speech[kind]) != inputs.n_frames:  # a copy with other audio: read again
        from emohead.text.asr import whisper_states_of

        if inputs.audio_path is None:
            raise EmoheadError("this model reads the recording itself (whisper's encoder); analyse the audio from a file")
        inputs.speech[kind] = whisper_states_of(inputs.audio_path, inputs.n_frames)
    return inputs.speech[kind]


def check_batch_speech(audio, kind: str) -> None:
    """A training batch's speech features must be what the network reads (its config's ``speech``)."""
    if audio.shape[-1] != SPEECH_DIMS[kind]:
        raise EmoheadError(
            f"the data's speech features ({audio.shape[-1]} per frame) are not what the network reads ({kind}, "
            f'{SPEECH_DIMS[kind]}); give the config\'s model and data sections the same "speech"'
        )


def _not_cached(kind: str, clip_id: str) -> EmoheadError:
    return EmoheadError(
        f"clip {clip_id} of the feature cache has no {kind} features; prepare the cache with them "
        "(scripts/build_corpus.py --whisper-features, or emohead prepare --whisper-features into a new folder)"
    )


def cached_speech(kind: str, arrays: dict[str, np.ndarray], clip_id: str) -> np.ndarray:
    """(T, SPEECH_DIMS[kind]) from a clip's cached arrays (loaded with ``CACHE_KEYS[kind]`` among the keys)."""
    key = CACHE_KEYS[check_speech(kind)]
    if key not in arrays:
        raise _not_cached(kind, clip_id)
    return flat_mfcc_windows(arrays[key]) if kind == "mfcc" else arrays[key]


def check_cached_speech(kind: str, cache, rows: list[dict]) -> None:
    """Every row's clip in ``cache`` holds ``kind``'s features, else :func:`cached_speech`'s one-line error: the window
    datasets (eapc, emospeaker) read them lazily, where a missing array would be a KeyError in a data-loader worker."""
    key = CACHE_KEYS[check_speech(kind)]
    for row in rows:
        if key not in cache.keys(row["clip_id"]):
            raise _not_cached(kind, row["clip_id"])
