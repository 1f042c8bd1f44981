"""Video decode and encode through the static ffmpeg shipped by ``imageio-ffmpeg`` (x264 + AAC inside)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from emohead import dims
from emohead.errors import EmoheadError
from emohead.proc import Child, run

FPS = dims.FPS


def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def probe(path: str | Path) -> dict:
    """Duration (s, or None) and stream kinds of a media file, read from ffmpeg's header dump."""
    out = run([ffmpeg_exe(), "-hide_banner", "-i", str(path)], timeout=60, what="reading the media header").stderr.decode(errors="replace")
    m = re.search(r"Duration: (\d+):(\d+):(\d+(?:\.\d+)?)", out)
    duration = int(m[1]) * 3600 + int(m[2]) * 60 + float(m[3]) if m else None
    size = re.search(r"Stream #.*Video:.*?(\d{2,5})x(\d{2,5})", out)
    fps = re.search(r"(\d+(?:\.\d+)?) fps", out)
    return {
        "duration": duration,
        "has_audio": bool(re.search(r"Stream #.*Audio:", out)),
        "has_video": bool(re.search(r"Stream #.*Video:", out)) and "attached pic" not in out,
        "size": (int(size[1]), int(size[2])) if size else None,
        "fps": float(fps[1]) if fps else None,
        "log": out,
    }


def read_frames(path: str | Path, fps: float | None = FPS) -> Iterator[np.ndarray]:
    """Yield (H, W, 3) uint8 RGB frames, resampled to ``fps`` (``None`` keeps the file's rate)."""
    import imageio_ffmpeg

    params = ["-r", str(fps)] if fps else None
    reader = imageio_ffmpeg.read_frames(str(path), output_params=params)
    meta = next(reader)
    w, h = meta["size"]
    for raw in reader:
        yield np.frombuffer(raw, dtype=np.uint8).reshape(h, w, 3)


def read_frame_range(path: str | Path, start: int, count: int) -> list[np.ndarray]:
    """Frames [start, start + count) at 25 fps; decoding stops after the last one."""
    import itertools

    return list(itertools.islice(read_frames(path), start, start + count))


# Containers the writer makes, by output suffix: H.264 video + AAC audio fit in each.
CONTAINERS = {".mp4": "mp4", ".mov": "mov", ".mkv": "matroska"}


def container_for(path: str | Path) -> str:
    """ffmpeg's muxer for an output name; any other suffix is a one-line error (never MP4 bytes under a .gif name)."""
    suffix = Path(path).suffix.lower()
    if suffix not in CONTAINERS:
        raise EmoheadError(
            f"cannot write video {path}: {suffix or 'no suffix'} is not a video format emohead writes; name it {' / '.join(CONTAINERS)}"
        )
    return CONTAINERS[suffix]


class VideoWriter:
    """H.264 writer fed with RGB frames (mp4, mov or mkv by suffix); muxes ``audio`` (any file ffmpeg reads) as AAC.

    Frames go straight to an ffmpeg process, so memory stays flat however long the video; its messages are
    drained on a thread (``emohead.proc``), so it cannot block us, nor we it.
    """

    def __init__(
        self,
        path: str | Path,
        width: int,
        height: int,
        fps: int = FPS,
        audio: str | Path | None = None,
        audio_seconds: float | None = None,
        crf: int = 20,
    ):
        if width % 2 or height % 2:
            raise ValueError(f"H.264 needs even frame sizes, got {width}x{height}")
        muxer = container_for(path)
        cmd = [
            ffmpeg_exe(),
            "-y",
            "-v",
            "error",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "-s",
            f"{width}x{height}",
            "-r",
            str(fps),
            "-i",
            "-",
        ]
        if audio is not None:
            cmd += ["-i", str(audio), "-map", "0:v:0", "-map", "1:a:0", "-c:a", "aac", "-b:a", "128k"]
            if audio_seconds is not None:
                cmd += ["-t", f"{audio_seconds:.3f}"]
        cmd += ["-c:v", "libx264", "-preset", "veryfast", "-crf", str(crf), "-pix_fmt", "yuv420p"]
        cmd += (["-movflags", "+faststart"] if muxer in ("mp4", "mov") else []) + ["-f", muxer, str(path)]
        self.shape = (height, width, 3)
        self.frames = 0
        self._child = Child(cmd, stdin=True)

    def write(self, frame: np.ndarray) -> None:
        if frame.shape != self.shape or frame.dtype != np.uint8:
            raise ValueError(f"frame must be uint8 {self.shape}, got {frame.dtype} {frame.shape}")
        try:
            self._child.write(np.ascontiguousarray(frame).tobytes())
        except (BrokenPipeError, ValueError):
            self._fail()
        self.frames += 1

    def _fail(self) -> None:
        self._child.kill()
        raise EmoheadError(f"video encoding failed: {self._child.error()}; check free disk space and the output path")

    def close(self) -> None:
        if self._child.finish() != 0:
            self._fail()

    def abort(self) -> None:
        self._child.kill()


def count_frames(path: str | Path) -> int:
    """Number of decoded video frames in a file (decodes it; for tests and checks)."""
    out = run([ffmpeg_exe(), "-v", "info", "-i", str(path), "-map", "0:v:0", "-f", "null", "-"], what="counting frames").stderr
    found = re.findall(r"frame=\s*(\d+)", out.decode(errors="replace"))
    return int(found[-1]) if found else 0
