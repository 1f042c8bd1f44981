"""Output files appear whole or not at all: write to a hidden temporary name, rename at the end."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from emohead.errors import EmoheadError


def check_writable(path: str | Path, what: str = "output") -> Path:
    """Fail early, before any work, when ``path`` cannot be written."""
    path = Path(path)
    if path.is_dir():
        raise EmoheadError(f"{what} {path} is a directory; give a file name such as {path / 'out.mp4'}")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise EmoheadError(f"cannot write {what} {path}: folder {parent} does not exist; create it first")
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise EmoheadError(f"cannot write {what} {path}: permission denied; choose a writable location")
    return path


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary sibling of ``path``; rename it to ``path`` on success, delete it on failure."""
    tmp = path.with_name(f".{path.stem}.partial-{os.getpid()}{path.suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
