"""Shared fixtures. Real media: the demo clip bundled in the package (always present) and, for slow
tests, ../shared/data beside the repository. Tests that need it skip when it is absent, except under
CI=true, where a missing ../shared/data fails them: CI must never pass by skipping every real-data test."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from emohead.assets import asset_path

SHARED = Path(os.environ.get("EMOHEAD_SHARED", Path(__file__).resolve().parents[2] / "shared"))
DEMO_TRANSCRIPT = asset_path("demo/transcript.txt").read_text().strip()


def shared_data(*parts: str) -> Path:
    path = SHARED.joinpath("data", *parts)
    if not path.exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{path} is missing under CI=true; CI runs beside ../shared (or set EMOHEAD_SHARED)")
        pytest.skip(f"{path} not available")
    return path


@pytest.fixture(scope="session")
def demo_portrait() -> Path:
    return asset_path("demo/portrait.jpg")


@pytest.fixture(scope="session")
def demo_audio() -> Path:
    return asset_path("demo/speech.flac")


@pytest.fixture(scope="session")
def demo_image(demo_portrait) -> np.ndarray:
    from emohead.face.image import load_image

    return load_image(demo_portrait)


@pytest.fixture(scope="session")
def demo_face(demo_image):
    from emohead.face.analyze import analyze_portrait

    return analyze_portrait(demo_image, size=256)


def ffmpeg(*args: str) -> None:
    from emohead.video.io import ffmpeg_exe

    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", *args], check=True)


def train_on_two_processes(model: str, cache: Path, out: Path, config: dict, *options: str) -> None:
    """``emohead train MODEL [OPTIONS] --strategy ddp`` as two CPU ranks under torchrun (a free port each time);
    fails with the ranks' own error lines (Python's tracebacks too, should a rank abort) rather than the launcher's."""
    (cfg := out.parent / f"{out.name}.json").write_text(json.dumps(config))
    run = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", "-m", "emohead"]
    args = ["train", model, "--data", str(cache), "--out", str(out), "--config", str(cfg), "--batch-size", "4"]
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONFAULTHANDLER="1")
    done = subprocess.run(
        run + args + list(options) + ["--accelerator", "cpu", "--devices", "2", "--strategy", "ddp", "-q"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    marks = ("error", "fatal python", "terminate called", "what()", "current thread", 'file "/')
    said = [line for line in done.stderr.splitlines() if any(m in line.lower() for m in marks) and "elastic" not in line]
    assert done.returncode == 0, "\n".join(said[-40:]) or done.stderr[-3000:]


@pytest.fixture(scope="session")
def short_audio(tmp_path_factory, demo_audio) -> Path:
    """The first 3 s of the demo speech ("And so my fellow Americans")."""
    path = tmp_path_factory.mktemp("audio") / "short.wav"
    ffmpeg("-i", str(demo_audio), "-t", "3", str(path))
    return path


@pytest.fixture(scope="session")
def cache(tmp_path_factory) -> Path:
    """A feature cache of four real CREMA-D clips (happy, sad, neutral, angry) plus synthetic neutral and happy
    rows, every row in the train split: what the training tests train on."""
    from emohead.data.cache import Cache, prepare
    from emohead.data.corpus import augment

    root = tmp_path_factory.mktemp("models")
    src = root / "src"
    src.mkdir()
    for code in ("HAP", "SAD", "NEU", "ANG"):
        (src / f"1001_DFA_{code}_XX.flv").symlink_to(shared_data("video", "cremad", f"1001_DFA_{code}_XX.flv"))
    prepare(src, "cremad", root / "cache", whisper_features=True)  # whisper's states: what medtalk, mfetalk and emospeaker read
    c = Cache(root / "cache")
    augment(c, emotions=("neutral", "happy"))
    c.write_index(test_speakers=[])
    return root / "cache"


@pytest.fixture(scope="session")
def heldback_cache(tmp_path_factory) -> Path:
    """The two held-back GRID speakers (never trained on or fitted to: ``data.corpus.HELD_OUT_REAL``) with synthetic
    rows of four emotions at MEAD levels 1 and 3: held-back pairs of the same content with different emotions."""
    from emohead.data.cache import Cache, prepare
    from emohead.data.corpus import augment

    root = tmp_path_factory.mktemp("heldback")
    src = root / "src"
    src.mkdir()
    for name in ("lwbsza", "swiz3n"):
        (src / f"{name}.mpg").symlink_to(shared_data("video", "grid", f"{name}.mpg"))
    prepare(src, "grid", root / "cache")
    c = Cache(root / "cache")
    augment(c, emotions=("neutral", "happy", "angry", "sad", "surprise"), levels={1: 0.35, 3: 1.0})
    c.write_index(test_speakers=[])
    return root / "cache"
