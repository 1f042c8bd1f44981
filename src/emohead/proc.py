"""Child processes (ffmpeg) that can neither deadlock on a pipe nor hang for ever.

A child's stderr is always drained by a thread into a short tail, so a chatty decoder (an mp3 full of
corruption warnings) can never block on a full pipe while we wait on its stdout; a watchdog kills a
child that makes no progress for ``idle_timeout`` seconds. Every ffmpeg call in emohead goes through
:func:`run` (short commands) or :class:`Child` (streams).
"""

from __future__ import annotations

import collections
import subprocess
import threading
import time

from emohead.errors import EmoheadError

IDLE_TIMEOUT = 120.0  # seconds without any progress before a streaming child is killed
RUN_TIMEOUT = 600.0  # seconds for a short command (probe, cut, convert)


def run(cmd: list[str], timeout: float = RUN_TIMEOUT, what: str = "ffmpeg") -> subprocess.CompletedProcess:
    """Run a short command to completion, both pipes read (``communicate``), within ``timeout`` seconds."""
    try:
        return subprocess.run(cmd, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise EmoheadError(f"{what} did not finish within {timeout:.0f} s; the input may be damaged or far too long") from None


class Child:
    """A streaming child: write to its stdin and/or read its stdout; stderr kept as a tail of lines."""

    def __init__(self, cmd: list[str], *, stdin: bool = False, stdout: bool = False, idle_timeout: float = IDLE_TIMEOUT):
        pipe, null = subprocess.PIPE, subprocess.DEVNULL
        self.proc = subprocess.Popen(cmd, stdin=pipe if stdin else null, stdout=pipe if stdout else null, stderr=pipe)
        self.tail: collections.deque[str] = collections.deque(maxlen=20)
        self.timed_out = False
        self.idle_timeout = idle_timeout
        self._last = time.monotonic()
        threading.Thread(target=self._drain, daemon=True).start()
        threading.Thread(target=self._watch, daemon=True).start()

    def _drain(self) -> None:
        for raw in iter(self.proc.stderr.readline, b""):
            line = raw.decode(errors="replace").strip()
            if line:
                self.tail.append(line)
        self.proc.stderr.close()

    def _watch(self) -> None:
        while self.proc.poll() is None:
            time.sleep(0.2)
            if time.monotonic() - self._last > self.idle_timeout and self.proc.poll() is None:
                self.timed_out = True
                self.proc.kill()

    def read(self, n: int) -> bytes:
        data = self.proc.stdout.read(n)
        self._last = time.monotonic()
        return data

    def write(self, data: bytes) -> None:
        self.proc.stdin.write(data)
        self._last = time.monotonic()

    def finish(self) -> int:
        """Close our ends and wait; the exit code (non-zero after a kill)."""
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None and not stream.closed:
                try:
                    stream.close()
                except BrokenPipeError:
                    pass
        return self.proc.wait()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.finish()

    def error(self) -> str:
        """The child's last stderr line, or why it stopped."""
        if self.timed_out:
            return f"no progress for {self.idle_timeout:.0f} s, stopped"
        time.sleep(0.05)  # let the drain thread catch the last line
        return self.tail[-1] if self.tail else f"exit code {self.proc.returncode}"
