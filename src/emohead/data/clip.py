"""Turn one :class:`ClipSource` into training-ready arrays at 25 fps and 16 kHz.

Reuses the generation pipeline's analysis (face tracking, canonicalisation, MFCC, alignment): the data
engine has no second copy of any of it. A clip whose face is lost is split into the stretches that
keep one (gaps of up to :data:`MAX_GAP` frames are bridged by interpolation); stretches shorter than
:data:`MIN_FRAMES` are dropped and reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from emohead import dims
from emohead.audio.features import SILENCE_DBFS, AudioFeatures
from emohead.audio.io import SAMPLE_RATE, load_audio
from emohead.data.adapters import ClipSource
from emohead.face.analyze import track_video
from emohead.face.ibug68 import to_ibug68
from emohead.face.model import FaceModel, canonicalize
from emohead.text.align import Aligner, Phone, normalize_transcript, words_of
from emohead.text.asr import phones_for_speech, whisper_states
from emohead.video.io import FPS, probe

MAX_GAP = 2
MIN_FRAMES = 25
MAX_MISMATCH_S = 0.5


class ClipError(Exception):
    """A clip that cannot be used; the message is the reason shown in the report."""


@dataclass
class PreparedClip:
    """One usable stretch of a clip: ``meta`` (json-able) and ``arrays`` (name -> ndarray, first axis = frames)."""

    meta: dict
    arrays: dict[str, np.ndarray]


def _bridge_gaps(points: np.ndarray, shapes: np.ndarray, found: np.ndarray) -> np.ndarray:
    """Interpolate short face losses in place; return the mask of frames that have a face afterwards."""
    found = found.copy()
    idx = np.flatnonzero(found)
    for a, b in zip(idx[:-1], idx[1:]):
        if 1 < b - a <= MAX_GAP + 1:
            for k in range(a + 1, b):
                t = (k - a) / (b - a)
                points[k] = (1 - t) * points[a] + t * points[b]
                shapes[k] = (1 - t) * shapes[a] + t * shapes[b]
                found[k] = True
    return found


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) of each run of True."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    return list(zip(edges[::2], edges[1::2]))


def phones_for(src: ClipSource, samples: np.ndarray, aligner: Aligner, asr: str = "auto") -> tuple[list[Phone], str, str]:
    """Phones aligned to the dataset's transcript, or to what ASR heard when there is none (or it does
    not align). Returns (phones, transcript used, its source: "dataset" or "asr")."""
    words = aligner.alignable(normalize_transcript(src.transcript)) if src.transcript else []
    phones, heard = phones_for_speech(samples, words, aligner, asr)
    return (phones, src.transcript, "dataset") if heard is None else (phones, heard, "asr")


def _phone_arrays(phones: list[Phone], start: float, stop: float, dataset_words=None) -> dict[str, np.ndarray]:
    """Phones and words overlapping [start, stop), times relative to ``start``. A dataset's own word
    alignment (GRID ``.align``) is preferred to ours for the words."""
    inside = [p for p in phones if p.end > start and p.start < stop]
    words = [w for w in (dataset_words or words_of(inside)) if w[2] > start and w[1] < stop]
    return {
        "phone_labels": np.array([p.label for p in inside], dtype="U8"),
        "phone_times": np.array([[p.start - start, p.end - start] for p in inside], np.float32).reshape(-1, 2),
        "word_labels": np.array([w[0] for w in words], dtype="U32"),
        "word_times": np.array([[w[1] - start, w[2] - start] for w in words], np.float32).reshape(-1, 2),
    }


def in_sync(src: ClipSource, points, shapes, found, samples: np.ndarray):
    """The tracks and the sound with each frame paired with its own sound: a clip whose picture lags its sound by
    ``src.av_offset`` frames loses its first frames of picture, one whose picture runs ahead its first frames of
    sound (and the dataset's word times move with the sound). Returns (points, shapes, found, samples, word_times)."""
    k, words = src.av_offset, src.word_times
    if k > 0:
        points, shapes, found = points[k:], shapes[k:], found[k:]
    elif k < 0:
        samples = samples[-k * dims.SAMPLES_PER_FRAME :]
        words = [(w, a + k / FPS, b + k / FPS) for w, a, b in words or []] or None
    return points, shapes, found, samples, words


def process_clip(
    src: ClipSource, face_model: FaceModel | None = None, aligner: Aligner | None = None, asr: str = "auto", whisper_features: bool = False
) -> list[PreparedClip]:
    """Analyse one clip; raises ClipError with the reason when nothing in it is usable.
    ``whisper_features`` adds ``whisper`` (T, 384): whisper tiny.en encoder states at 25 fps."""
    face_model = face_model or FaceModel.default()
    aligner = aligner or Aligner()
    info = probe(src.video)
    if not info["has_video"]:
        raise ClipError("cannot decode video (corrupt, truncated or not a video file)")
    audio_path = src.audio or src.video
    if src.audio is None and not info["has_audio"]:
        raise ClipError("video has no audio track and no separate audio file was found")
    try:
        points, shapes, found = track_video(src.video, fps=FPS)
    except (OSError, RuntimeError, StopIteration, ValueError) as err:
        raise ClipError(f"cannot decode video: {str(err).splitlines()[0][:120]}") from None
    if len(found) == 0:
        raise ClipError("no video frames could be decoded (corrupt or truncated file)")
    try:
        samples = load_audio(audio_path)
    except Exception as err:  # noqa: BLE001 - any decoder failure is a per-clip reason, not a crash
        raise ClipError(f"cannot decode audio: {str(err)[:120]}") from None
    n_audio = round(len(samples) / SAMPLE_RATE * FPS)
    if n_audio == 0:
        raise ClipError("audio track is empty")
    if abs(n_audio - len(found)) / FPS > MAX_MISMATCH_S:
        raise ClipError(f"audio/video length mismatch ({len(found) / FPS:.2f} s video vs {n_audio / FPS:.2f} s audio)")
    points, shapes, found, samples, word_times = in_sync(src, points, shapes, found, samples)
    n = min(round(len(samples) / SAMPLE_RATE * FPS), len(found))
    points, shapes, found = points[:n], shapes[:n], found[:n]
    samples = np.pad(samples, (0, max(0, n * dims.SAMPLES_PER_FRAME - len(samples))))

    audio = AudioFeatures.from_chunks([samples[: n * dims.SAMPLES_PER_FRAME]])
    if audio.energy_db.max() < SILENCE_DBFS:
        raise ClipError("audio is silent")
    features = audio.slice(0, n)
    if whisper_features:
        features["whisper"] = whisper_states(samples, n)
    phones, transcript, transcript_source = phones_for(src, samples, aligner, asr)

    found = _bridge_gaps(points, shapes, found)
    runs = [r for r in _runs(found) if r[1] - r[0] >= MIN_FRAMES]
    if not runs:
        raise ClipError(f"face lost in {int((~found).sum())} of {n} frames; no stretch of {MIN_FRAMES / FPS:.0f} s with a face")
    out = []
    for k, (a, b) in enumerate(runs):
        canon, pose = zip(*(canonicalize(p, face_model.template) for p in points[a:b]))
        canon = np.stack(canon).astype(np.float32)
        arrays = {
            "lm68_image": to_ibug68(points[a:b]).astype(np.float32),
            "lm68": to_ibug68(canon),
            "mesh": canon,
            "blendshapes": shapes[a:b].astype(np.float32),
            "pose": np.stack(pose).astype(np.float32),
            **{name: v[a:b] for name, v in features.items()},
            **_phone_arrays(phones, a / FPS, b / FPS, word_times),
        }
        clip_id = src.clip_id if len(runs) == 1 else f"{src.clip_id}_seg{k + 1}"
        meta = {
            "clip_id": clip_id,
            "source_clip": src.clip_id,
            "dataset": src.dataset,
            "video": str(Path(src.video).resolve()),
            "audio": str(Path(audio_path).resolve()),
            "speaker": src.speaker,
            "emotion": src.emotion,
            "intensity": src.intensity,
            "sentence": src.sentence,
            "transcript": transcript,
            "transcript_source": transcript_source,
            "start_frame": int(a),
            "n_frames": int(b - a),
            "duration": float(b - a) / FPS,
            "frames_lost": int(n - sum(r[1] - r[0] for r in runs)),
            "synthetic": False,
            "av_offset": src.av_offset,
            **src.extra,
        }
        out.append(PreparedClip(meta, arrays))
    return out
