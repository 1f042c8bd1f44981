"""``emohead batch JOBS -o OUTDIR``: many generate jobs from a CSV or JSONL file, one job per row.

- A row has ``generate``'s fields by the CLI's names (:mod:`emohead.job`): ``portrait`` and ``audio`` (paths
  relative to the jobs file), options such as ``emotion`` or ``head_motion``, and optionally ``id`` (names the
  outputs; default the row number) and ``output`` / ``export_motion`` / ``blendshapes_csv`` (relative to OUTDIR;
  default ``OUTDIR/ID.mp4``).
- A failed row never stops the others; ``OUTDIR/report.csv`` gets one line per row (status, seconds, error) as
  each finishes, and the exit status is 1 when any row failed.
- Resumable: a row whose outputs exist is not redone (outputs appear whole or not at all, so an existing one
  is finished); a restart retries the failed rows and drops their old report lines, and gives a finished row
  whose line the stopped run never wrote (stopped between the two) an ``ok`` line saying its time is unknown.
- Memory stays bounded whatever the row count: rows are read as they are needed and at most two per worker
  are in flight.
"""

from __future__ import annotations

import csv
import json
import os
import re
import time
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

from emohead.errors import EmoheadError
from emohead.job import BATCH_PATHS, FILES, JobRequest, field_name, read_transcript_file, resolve_path
from emohead.outputs import atomic_path, remove_stale_partials

REPORT = "report.csv"
REPORT_FIELDS = ("row", "id", "status", "seconds", "output", "error")
_OUTPUTS = ("output", "export_motion", "blendshapes_csv")
_SAFE_ID = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass
class Row:
    number: int  # 1-based, data rows only
    fields: dict[str, object]
    error: str | None = None  # a line that could not be read at all

    @property
    def id(self) -> str:
        given = _SAFE_ID.sub("_", str(self.fields.get("id") or "").strip()).strip("._")
        return given or f"{self.number:04d}"

    def outputs(self, outdir: Path) -> dict[str, Path]:
        """The row's output paths; the video defaults to OUTDIR/ID.mp4 when no output is named."""
        named = {k: resolve_path(str(self.fields[k]), outdir, k) for k in _OUTPUTS if str(self.fields.get(k) or "").strip()}
        return named or {"output": outdir / f"{self.id}.mp4"}


def read_rows(path: Path) -> Iterator[Row]:
    """Rows of a .csv (with a header line) or a .jsonl file (one JSON object a line), read as they are needed."""
    suffix = path.suffix.lower()
    with open(path, newline="", encoding="utf-8-sig") as f:
        if suffix == ".csv":
            for i, rec in enumerate(csv.DictReader(f), 1):
                extra = rec.pop(None, None)
                yield Row(i, rec, f"row has {len(extra)} more cells than the header" if extra else None)
        else:
            number = 0
            for line in f:
                if not line.strip():
                    continue
                number += 1
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError as err:
                    yield Row(number, {}, f"not valid JSON ({err.msg}); write one object per line")
                    continue
                yield Row(number, rec, None) if isinstance(rec, dict) else Row(number, {}, "not a JSON object; write one object per line")


def check_jobs_file(path: Path) -> None:
    if not path.is_file():
        raise EmoheadError(f"jobs file not found: {path} (check the path)")
    if path.suffix.lower() not in (".csv", ".jsonl", ".ndjson"):
        raise EmoheadError(f"jobs file {path}: use a .csv (with a header line) or a .jsonl file (one JSON object a line)")
    with open(path, encoding="utf-8-sig") as f:
        first = f.readline()
    if path.suffix.lower() == ".csv":
        header = {field_name(h) for h in next(csv.reader([first]), [])}
        missing = [k for k in ("portrait", "audio") if k not in header]
        if missing:
            raise EmoheadError(
                f"jobs file {path}: the header has no {' or '.join(missing)} column; name the columns like generate's options"
            )


def run_row(row: Row, base: Path, outdir: Path) -> tuple[str, float, str]:
    """Generate one row -> (status, seconds, error). Never raises: every failure becomes a one-line reason."""
    import emohead

    t0 = time.perf_counter()
    try:
        if row.error:
            raise EmoheadError(row.error)
        request = JobRequest.parse(row.fields, allowed=("id", *FILES, *BATCH_PATHS))
        fields = {field_name(k): v for k, v in row.fields.items()}
        for name in ("portrait", "audio"):
            if not str(fields.get(name) or "").strip():
                raise EmoheadError(f"no {name}; give the {name} file's path in the {name} column")
        paths = {
            k: resolve_path(str(fields[k]), base, k)
            for k in (*FILES, "transcript_file", "weights", "renderer_weights")
            if str(fields.get(k) or "").strip()
        }
        kwargs = request.generate_kwargs()
        if "transcript_file" in paths:
            kwargs["transcript"] = read_transcript_file(paths.pop("transcript_file"))
        outputs = row.outputs(outdir)
        for out in outputs.values():
            out.parent.mkdir(parents=True, exist_ok=True)
        emohead.generate(
            paths.pop("portrait"),
            paths.pop("audio"),
            reference_portrait=paths.pop("reference_portrait", None),
            weights=str(paths["weights"]) if "weights" in paths else None,
            renderer_weights=str(paths["renderer_weights"]) if "renderer_weights" in paths else None,
            **{k: outputs.get(k) for k in _OUTPUTS},
            **kwargs,
        )
    except EmoheadError as err:
        return "failed", time.perf_counter() - t0, str(err)
    except Exception as err:  # noqa: BLE001 - one bad row must not stop the batch; the report says what happened
        return "failed", time.perf_counter() - t0, f"internal error: {type(err).__name__}: {err}".splitlines()[0]
    return "ok", time.perf_counter() - t0, ""


def _finished(row: Row, outdir: Path) -> bool:
    try:
        return all(p.is_file() for p in row.outputs(outdir).values())
    except EmoheadError:
        return False


def _keep_finished_lines(report: Path) -> set[str]:
    """A restart keeps the report lines of rows that finished and drops the failed ones (they run again); returns
    the ids of the rows whose finished lines it kept."""
    if not report.exists():
        return set()
    kept = set()
    with atomic_path(report) as tmp, open(report, newline="") as src, open(tmp, "w", newline="") as dst:
        writer = csv.DictWriter(dst, REPORT_FIELDS)
        writer.writeheader()
        for rec in csv.DictReader(src):
            if rec.get("status") == "ok" and rec.get("output") and Path(rec["output"]).is_file():
                writer.writerow({k: rec.get(k, "") for k in REPORT_FIELDS})
                kept.add(rec.get("id", ""))
    return kept


def run_batch(jobs: Path, outdir: Path, workers: int = 1, progress: bool = True) -> dict[str, int]:
    """Run every row of ``jobs``; returns counts {'ok', 'failed', 'skipped'}."""
    from tqdm import tqdm

    check_jobs_file(jobs)
    if workers < 1:
        raise EmoheadError(f"--workers {workers}: use 1 or more")
    outdir.mkdir(parents=True, exist_ok=True)
    remove_stale_partials(outdir)
    report = outdir / REPORT
    reported = _keep_finished_lines(report)
    new = not report.exists()
    total = sum(1 for _ in read_rows(jobs))
    counts = {"ok": 0, "failed": 0, "skipped": 0}
    base = jobs.resolve().parent
    with open(report, "a", newline="") as rf, tqdm(total=total, unit="job", desc="batch", disable=not progress) as bar:
        writer = csv.DictWriter(rf, REPORT_FIELDS)
        if new:
            writer.writeheader()

        def line(row: Row, status: str, seconds: float, error: str) -> None:
            output = str(next(iter(row.outputs(outdir).values()))) if status == "ok" else ""
            writer.writerow(
                {"row": row.number, "id": row.id, "status": status, "seconds": f"{seconds:.2f}", "output": output, "error": error}
            )
            rf.flush()
            os.fsync(rf.fileno())

        def record(row: Row, status: str, seconds: float, error: str) -> None:
            counts[status] += 1
            line(row, status, seconds, error)
            bar.update()
            bar.set_postfix(ok=counts["ok"], failed=counts["failed"])

        def skip(row: Row) -> bool:
            if not _skip(row, outdir, counts, bar):
                return False
            if row.id not in reported:  # its video was written, but the run was stopped before its line was
                line(row, "ok", 0.0, "finished by an earlier run that was stopped before recording it; its time is unknown")
            return True

        pending = (row for row in read_rows(jobs) if not skip(row))
        if workers == 1:
            for row in pending:
                record(row, *run_row(row, base, outdir))
        else:
            with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
                running: dict[Future, Row] = {}
                for row in pending:
                    running[pool.submit(run_row, row, base, outdir)] = row
                    while len(running) >= 2 * workers:
                        _collect(running, record)
                while running:
                    _collect(running, record)
    # again at the end: a killed run's worker still dying when this run began may have left its file after the first sweep
    remove_stale_partials(outdir)
    return counts


def _skip(row: Row, outdir: Path, counts: dict[str, int], bar) -> bool:
    if row.error or not _finished(row, outdir):
        return False
    counts["skipped"] += 1
    bar.update()
    return True


def _collect(running: dict[Future, Row], record) -> None:
    done, _ = wait(running, return_when=FIRST_COMPLETED)
    for future in done:
        record(running.pop(future), *future.result())
