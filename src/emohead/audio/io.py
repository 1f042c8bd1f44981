"""Audio input: any file ffmpeg reads (wav, flac, mp3, m4a, ogg, or a video's audio track),
decoded to 16 kHz mono float32 and streamed in chunks so hour-long input keeps memory flat.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from emohead import dims
from emohead.errors import EmoheadError
from emohead.proc import Child
from emohead.video.io import ffmpeg_exe, probe

SAMPLE_RATE = dims.SAMPLE_RATE


def check_audio(path: str | Path, max_minutes: float | None = None) -> float:
    """Validate an audio (or video) file and return its duration in seconds."""
    path = Path(path)
    if path.is_dir():
        raise EmoheadError(f"audio {path} is a folder; give an audio or video file")
    if not path.exists():
        raise EmoheadError(f"audio not found: {path} (check the path)")
    if not path.is_file():
        raise EmoheadError(f"audio {path} is not a regular file (a device or pipe); give an audio or video file")
    if path.stat().st_size == 0:
        raise EmoheadError(f"audio file is empty: {path}; record or export the speech again")
    info = probe(path)
    if not info["has_audio"]:
        if "Invalid data" in info["log"] or not info["has_video"]:
            raise EmoheadError(f"cannot decode audio {path}: not a readable audio or video file; use wav, flac, mp3, m4a or ogg")
        raise EmoheadError(f"{path} has no audio track; pass a file with speech")
    duration = info["duration"]
    if duration is None:
        duration = sum(len(c) for c in stream_audio(path)) / SAMPLE_RATE
    if duration <= 0.04:
        raise EmoheadError(f"audio {path} is empty ({duration:.3f} s); pass at least one second of speech")
    if max_minutes is not None and duration > max_minutes * 60:
        raise EmoheadError(
            f"audio {path} is {duration / 60:.1f} min long, over the {max_minutes:g} min limit; split it or raise --max-minutes"
        )
    if re.search(r"Audio: pcm_f(32|64)", info["log"]):  # float samples may hold NaN or infinity, which no encoder takes
        for chunk in stream_audio(path, sample_format="f32le"):
            if not np.isfinite(chunk).all():
                raise EmoheadError(f"audio {path} holds NaN or infinite samples; re-export it (e.g. as 16-bit wav) from a clean source")
    return duration


def stream_audio(path: str | Path, chunk_seconds: float = 60.0, sample_format: str = "s16le") -> Iterator[np.ndarray]:
    """Yield consecutive chunks of 16 kHz mono float32 samples in [-1, 1] (``sample_format`` "f32le" keeps
    float samples as they are, NaN and infinity included). Decode warnings never block (``emohead.proc``)."""
    width, dtype, scale = (4, np.float32, 1.0) if sample_format == "f32le" else (2, np.int16, 32768.0)
    cmd = [ffmpeg_exe(), "-v", "error", "-i", str(path), "-vn", "-f", sample_format, "-ac", "1", "-ar", str(SAMPLE_RATE), "-"]
    child = Child(cmd, stdout=True)
    nbytes = int(chunk_seconds * SAMPLE_RATE) * width
    finished = False
    try:
        while True:
            buf = child.read(nbytes)
            if not buf:
                break
            yield np.frombuffer(buf[: len(buf) // width * width], dtype=dtype).astype(np.float32) / scale
        finished = True
    finally:
        if not finished:  # the consumer stopped early (an error, Ctrl-C): stop decoding
            child.kill()
        elif child.finish() != 0 and (child.tail or child.timed_out):
            raise EmoheadError(f"cannot decode audio {path}: {child.error()}; the file may be corrupt")


def load_audio(path: str | Path) -> np.ndarray:
    """The whole file as 16 kHz mono float32 (for short clips; long input goes through stream_audio)."""
    chunks = list(stream_audio(path))
    return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)
