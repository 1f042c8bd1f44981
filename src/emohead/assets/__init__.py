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
