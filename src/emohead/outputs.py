"""The output policy: outputs appear whole or not at all, never replace an input, and are regular files.

- :func:`check_writable` refuses, before any work, an output that is a folder, a pipe or a device (``-o
  /dev/null`` must never replace the system's /dev/null), one in a missing or read-only folder, and one that
  is the same file as any input of the run.
- :func:`commit_together` writes every output of one run to hidden temporary names and renames them all at
  the end, or deletes them all: a failed ``--export-motion`` leaves no video of the same run behind.
- :func:`stop_on_signals` turns SIGTERM and SIGHUP into the same exception as Ctrl-C, so every temporary
  file is removed on those exits too.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator
from pathlib import Path

from emohead.errors import EmoheadError


def check_writable(path: str | Path, what: str = "output", inputs: dict[str, object] | None = None) -> Path:
    """Fail early, before any work, when ``path`` cannot or must not be written. ``inputs``: name -> path of
    the run's inputs (arrays and None are ignored); writing over one of them is refused."""
    path = Path(path)
    if path.is_dir():
        raise EmoheadError(f"{what} {path} is a directory; give a file name such as {path / 'out.mp4'}")
    if path.exists() and not path.is_file():
        raise EmoheadError(f"{what} {path} is not a regular file (a pipe or a device); give a file name to write to")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise EmoheadError(f"cannot write {what} {path}: folder {parent} does not exist; create it first")
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise EmoheadError(f"cannot write {what} {path}: permission denied; choose a writable location")
    for name, source in (inputs or {}).items():
        if isinstance(source, (str, os.PathLike)) and path.exists() and Path(source).exists() and os.path.samefile(path, source):
            raise EmoheadError(f"{what} {path} is the {name} itself and would be overwritten; choose another file name")
    return path


def check_distinct(paths: dict[str, Path]) -> None:
    """Two outputs of one run must not be the same file."""
    seen: dict[Path, str] = {}
    for what, path in paths.items():
        key = Path(os.path.abspath(path))
        if key in seen:
            raise EmoheadError(f"{seen[key]} and {what} are the same file {path}; give each its own name")
        seen[key] = what


def _temporary(path: Path) -> Path:
    return path.with_name(f".{path.stem}.partial-{os.getpid()}{path.suffix}")


def remove_stale_partials(folder: Path) -> int:
    """Delete the temporary files (``.NAME.partial-PID.EXT``) that a killed run left in ``folder``: those
    whose process is gone. Returns how many."""
    removed = 0
    for path in Path(folder).glob(".*.partial-*"):
        pid = path.name.rsplit(".partial-", 1)[1].split(".")[0]
        if not pid.isdigit() or not _alive(int(pid)):
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def _alive(pid: int) -> bool:
    """Whether ``pid`` is a running process. A killed batch's workers can linger as zombies until someone reaps them
    (their parent died with them); a zombie writes nothing more, so it counts as gone (Linux's /proc says so)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state not in ("Z", "X")


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary sibling of ``path``; rename it to ``path`` on success, delete it on failure."""
    with commit_together({"output": Path(path)}) as tmps:
        yield tmps["output"]


@contextlib.contextmanager
def commit_together(paths: dict[str, Path]) -> Iterator[dict[str, Path]]:
    """Temporary siblings for several outputs; all renamed into place on success, all deleted otherwise."""
    tmps = {k: _temporary(Path(p)) for k, p in paths.items()}
    try:
        yield tmps
        for k, tmp in tmps.items():
            if tmp.exists():
                os.replace(tmp, paths[k])
    finally:
        for tmp in tmps.values():
            tmp.unlink(missing_ok=True)


class Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised like Ctrl-C so that cleanup runs; ``signum`` says which."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """While inside, SIGTERM and SIGHUP raise :class:`Stopped` (so temporary files are removed); the previous
    handlers come back afterwards. Only the main thread can take signals; elsewhere this does nothing."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, _frame):
        raise Stopped(signum)

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
