"""Files shipped inside the package, each with its licence (see ``ASSETS.md`` beside this file)."""

from __future__ import annotations

from pathlib import Path

ASSETS_DIR = Path(__file__).resolve().parent


def asset_path(name: str) -> Path:
    """Path of a bundled asset, e.g. ``asset_path("face_landmarker_v2_with_blendshapes.task")``."""
    path = ASSETS_DIR / name
    if not path.exists():
        raise FileNotFoundError(f"bundled asset {name!r} is missing from {ASSETS_DIR}; reinstall emohead")
    return path


def demo_inputs() -> tuple[Path, Path, str]:
    """The bundled demo: (portrait, speech, transcript)."""
    return asset_path("demo/portrait.jpg"), asset_path("demo/speech.flac"), asset_path("demo/transcript.txt").read_text().strip()
