"""Audio input: any file ffmpeg reads (wav, flac, mp3, m4a, ogg, or a video's audio track),
decoded to 16 kHz mono float32 and streamed in chunks so hour-long input keeps memory flat.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from emohead import dims
from emohead.errors import EmoheadError
from emohead.video.io import ffmpeg_exe, probe

SAMPLE_RATE = dims.SAMPLE_RATE


def check_audio(path: str | Path, max_minutes: float | None = None) -> float:
    """Validate an audio (or video) file and return its duration in seconds."""
    path = Path(path)
    if not path.is_file():
        raise EmoheadError(f"audio not found: {path} (check the path)")
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
    return duration


def stream_audio(path: str | Path, chunk_seconds: float = 60.0) -> Iterator[np.ndarray]:
    """Yield consecutive chunks of 16 kHz mono float32 samples in [-1, 1]."""
    cmd = [ffmpeg_exe(), "-v", "error", "-i", str(path), "-vn", "-f", "s16le", "-ac", "1", "-ar", str(SAMPLE_RATE), "-"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    nbytes = int(chunk_seconds * SAMPLE_RATE) * 2
    try:
        while True:
            buf = proc.stdout.read(nbytes)
            if not buf:
                break
            yield np.frombuffer(buf[: len(buf) // 2 * 2], dtype=np.int16).astype(np.float32) / 32768.0
    finally:
        proc.stdout.close()
        err = proc.stderr.read().decode(errors="replace").strip()
        proc.stderr.close()
        if proc.wait() != 0 and err:
            raise EmoheadError(f"cannot decode audio {path}: {err.splitlines()[-1]}; the file may be corrupt")


def load_audio(path: str | Path) -> np.ndarray:
    """The whole file as 16 kHz mono float32 (for short clips; long input goes through stream_audio)."""
    chunks = list(stream_audio(path))
    return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)
