"""The server's job queue: a bounded queue, worker threads, results kept for a set time and then deleted.

Every job lives in its own folder under one temporary root: ``in/`` holds the uploads (deleted when the job
ends, whatever the outcome), ``out/`` the results (deleted when the job expires). The root goes on shutdown.
"""

from __future__ import annotations

import logging
import queue
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from emohead.errors import EmoheadError

log = logging.getLogger("emohead.serve")


class QueueFull(Exception):
    """No room for another job; the client should retry later."""


class ShuttingDown(Exception):
    """Raised inside a running job when the server stops; the job fails and its files go."""


@dataclass
class Job:
    id: str
    dir: Path
    options: dict
    files: dict[str, Path]
    created: float = field(default_factory=time.time)
    state: str = "queued"  # queued, running, done, failed
    stage: str = "queued"
    progress: float = 0.0
    error: str | None = None
    started: float | None = None
    finished: float | None = None
    results: dict[str, Path] = field(default_factory=dict)
    info: dict = field(default_factory=dict)  # shown to the client with the state
    max_minutes: float = 10.0

    @property
    def inputs(self) -> Path:
        return self.dir / "in"

    @property
    def outputs(self) -> Path:
        return self.dir / "out"

    def public(self) -> dict:
        seconds = (self.finished or time.time()) - self.started if self.started else None
        return {
            "id": self.id,
            "state": self.state,
            "stage": self.stage,
            "progress": round(self.progress, 3),
            "error": self.error,
            "seconds": None if seconds is None else round(seconds, 2),
            "results": sorted(self.results),
            **self.info,
        }


class JobQueue:
    """``run(job, report)`` does the work in a worker thread; ``report(stage, fraction)`` updates progress and
    raises :class:`ShuttingDown` once the server is stopping."""

    def __init__(self, run: Callable, workers: int, queue_size: int, keep_seconds: float, root: Path | None = None):
        self.root = Path(tempfile.mkdtemp(prefix="emohead-serve-", dir=root))
        self.keep_seconds = keep_seconds
        self._run = run
        self._queue: queue.Queue[Job | None] = queue.Queue(maxsize=queue_size)
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._workers = [threading.Thread(target=self._work, name=f"emohead-worker-{i}", daemon=True) for i in range(workers)]
        for t in self._workers:
            t.start()

    def new_job(self, options: dict) -> Job:
        """A job folder for uploads; not queued until :meth:`submit`."""
        job_id = uuid.uuid4().hex
        job = Job(job_id, self.root / job_id, options, {})
        job.inputs.mkdir(parents=True)
        job.outputs.mkdir()
        return job

    def full(self) -> bool:
        return self._queue.full()

    def submit(self, job: Job) -> None:
        if self._stopping.is_set():
            raise QueueFull("the server is shutting down")
        with self._lock:
            try:
                self._queue.put_nowait(job)
            except queue.Full:
                raise QueueFull(f"all {self._queue.maxsize} places in the queue are taken") from None
            self._jobs[job.id] = job

    def discard(self, job: Job) -> None:
        """Remove a job that was never queued (its request was refused)."""
        shutil.rmtree(job.dir, ignore_errors=True)

    def get(self, job_id: str) -> Job | None:
        self.sweep()
        with self._lock:
            return self._jobs.get(job_id)

    def counts(self) -> dict[str, int]:
        with self._lock:
            states = [j.state for j in self._jobs.values()]
        return {s: states.count(s) for s in ("queued", "running", "done", "failed")}

    def sweep(self) -> None:
        """Delete jobs that finished more than ``keep_seconds`` ago, with their files."""
        now = time.time()
        with self._lock:
            old = [j for j in self._jobs.values() if j.finished is not None and now - j.finished > self.keep_seconds]
            for job in old:
                del self._jobs[job.id]
        for job in old:
            shutil.rmtree(job.dir, ignore_errors=True)

    def shutdown(self, wait: float = 30.0) -> None:
        """Stop the workers (a running job is interrupted at its next progress report) and delete every file."""
        self._stopping.set()
        while True:  # jobs still waiting will not run
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                break
            if job is not None:
                self._finish(job, "failed", "the server shut down before this job ran")
        for _ in self._workers:
            try:
                self._queue.put(None, timeout=wait)
            except queue.Full:
                break
        deadline = time.time() + wait
        for t in self._workers:
            t.join(max(0.0, deadline - time.time()))
        shutil.rmtree(self.root, ignore_errors=True)

    def _work(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            if self._stopping.is_set():
                self._finish(job, "failed", "the server shut down before this job ran")
                continue
            job.state, job.started = "running", time.time()
            try:
                self._run(job, lambda stage, fraction, job=job: self._report(job, stage, fraction))
            except EmoheadError as err:
                self._finish(job, "failed", str(err))
            except ShuttingDown:
                self._finish(job, "failed", "the server shut down while this job ran")
            except Exception:  # noqa: BLE001 - a bug must not kill the worker; the client gets one line, the log the traceback
                log.exception("job %s failed", job.id)
                self._finish(job, "failed", "internal error while generating; the server log has the details")
            else:
                self._finish(job, "done", None)
            self.sweep()

    def _report(self, job: Job, stage: str, fraction: float) -> None:
        if self._stopping.is_set():
            raise ShuttingDown
        job.stage, job.progress = stage, max(job.progress, min(1.0, fraction))

    def _finish(self, job: Job, state: str, error: str | None) -> None:
        shutil.rmtree(job.inputs, ignore_errors=True)
        if state == "failed":
            shutil.rmtree(job.outputs, ignore_errors=True)
            job.results = {}
        else:
            job.progress = 1.0
        job.state, job.stage, job.error, job.finished = state, state, error, time.time()
