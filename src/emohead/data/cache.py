"""The feature cache: ``emohead prepare`` writes it, the dataloaders read it.

Layout (format ``emohead-cache``, version :data:`CACHE_VERSION`)::

    CACHE/cache.json              format, version, fps, sample rate, the array spec below
    CACHE/index.csv               one row per clip: id, dataset, speaker, emotion, intensity, sentence,
                                  frames, duration, split, synthetic, source clip, transcript
    CACHE/clips/ID.npz            the clip's arrays (first axis = frames at 25 fps unless noted)
    CACHE/clips/ID.json           its metadata
    CACHE/sources/SOURCE.json     what became of each source clip: its segments, or why it failed

Arrays: ``lm68_image`` (T,68,3) source-video px; ``lm68`` (T,68,3) and ``mesh`` (T,478,3) canonical
(pose-free, outer eye corners 1 apart); ``blendshapes`` (T,52); ``pose`` (T,6) [pitch, yaw, roll rad,
tx, ty px, scale]; ``mfcc`` (T,40); ``mfcc_window`` (T,28,12) EAPC's window; ``llf`` (T,25) low-level
features; ``energy_db`` (T,); optional ``whisper`` (T,384) encoder states; ``phone_labels`` (P,) with ``phone_times`` (P,2) s; ``word_labels`` (W,)
with ``word_times`` (W,2) s. Every file is written under a temporary name and renamed, so an
interrupted run leaves only whole clips, and a rerun skips every source already recorded.
"""

from __future__ import annotations

import csv
import hashlib
import json
import resource
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from emohead import dims
from emohead.data.adapters import ClipSource, scan
from emohead.errors import EmoheadError
from emohead.outputs import atomic_path, remove_stale_partials

CACHE_FORMAT = "emohead-cache"
CACHE_VERSION = 1
INDEX_FIELDS = [
    "clip_id",
    "dataset",
    "speaker",
    "emotion",
    "intensity",
    "sentence",
    "n_frames",
    "duration",
    "split",
    "synthetic",
    "source_clip",
    "transcript",
]
# EmoSpeaker (Sec. IV.A) holds out 2 male and 2 female MEAD speakers; these are emohead's choice of four.
MEAD_TEST_SPEAKERS = ("M003", "M030", "W009", "W015")


def _speaker_rank(speaker: str) -> str:
    return hashlib.md5(speaker.encode()).hexdigest()


def assign_splits(speakers, test_frac: float = 0.15, val_frac: float = 0.1, test_speakers=None) -> dict[str, str]:
    """Speaker-disjoint train/val/test. Deterministic: speakers are ordered by a hash of their name, so
    the split does not depend on file order; ``test_speakers`` fixes the test set instead."""
    ordered = sorted(set(speakers), key=_speaker_rank)
    if test_speakers is not None:
        test = [s for s in ordered if s in set(test_speakers)]
        rest = [s for s in ordered if s not in set(test_speakers)]
    else:
        n_test = max(1, round(test_frac * len(ordered))) if len(ordered) >= 2 else 0
        test, rest = ordered[:n_test], ordered[n_test:]
    n_val = round(val_frac * len(ordered)) if len(rest) >= 4 else 0
    splits = {s: "test" for s in test} | {s: "val" for s in rest[:n_val]} | {s: "train" for s in rest[n_val:]}
    return splits


@dataclass
class PrepareReport:
    sources: int = 0
    skipped_files: list = field(default_factory=list)
    done_before: int = 0
    prepared: int = 0
    failed: dict = field(default_factory=dict)  # source clip id -> reason
    split: dict = field(default_factory=dict)  # source clip id -> (segments kept, frames without a face dropped)
    clips: int = 0
    frames: int = 0
    seconds: float = 0.0
    peak_rss_mb: float = 0.0

    def summary(self) -> str:
        lines = [
            f"{self.sources} source clips: {self.prepared} prepared now, {self.done_before} already in the cache, {len(self.failed)} failed; "
            f"{len(self.skipped_files)} files did not fit the layout"
        ]
        lines += [f"  failed {k}: {v}" for k, v in list(self.failed.items())[:20]]
        lines += [f"  face lost in {k}: kept {n} stretch(es), dropped {lost} frames" for k, (n, lost) in list(self.split.items())[:20]]
        lines += [f"  skipped {f}: {why}" for f, why in self.skipped_files[:10]]
        lines.append(
            f"cache holds {self.clips} clips, {self.frames} frames ({self.frames / dims.FPS / 60:.1f} min); "
            f"{self.seconds:.1f} s this run; peak memory {self.peak_rss_mb:.0f} MB"
        )
        return "\n".join(lines)


class Cache:
    """A cache folder. Opening an existing one checks its format and version."""

    def __init__(self, root: str | Path, create: bool = False):
        self.root = Path(root)
        self.clips_dir = self.root / "clips"
        self.sources_dir = self.root / "sources"
        spec = self.root / "cache.json"
        if self.root.exists() and not self.root.is_dir():
            raise EmoheadError(f"{self.root} is a file, not a cache folder; give a new or existing cache folder")
        if spec.exists():
            try:
                info = json.loads(spec.read_text())
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
                raise EmoheadError(f"{spec} is damaged ({err}); prepare into a new folder (or delete this cache)") from None
            if not isinstance(info, dict):
                info = {}
            if info.get("format") != CACHE_FORMAT or info.get("version") != CACHE_VERSION:
                raise EmoheadError(
                    f"{self.root} holds {info.get('format')} version {info.get('version')}; this emohead "
                    f"reads {CACHE_FORMAT} version {CACHE_VERSION}; prepare into a new folder"
                )
        elif create:
            if self.root.exists() and any(self.root.iterdir()):
                raise EmoheadError(f"{self.root} is not empty and is not an emohead cache; choose an empty or new folder")
            self.clips_dir.mkdir(parents=True, exist_ok=True)
            self.sources_dir.mkdir(exist_ok=True)
            spec.write_text(
                json.dumps(
                    {"format": CACHE_FORMAT, "version": CACHE_VERSION, "fps": 25, "sample_rate": 16000, "layout": "see emohead.data.cache"},
                    indent=1,
                )
                + "\n"
            )
        else:
            raise EmoheadError(f"no emohead cache at {self.root}; run `emohead prepare SRC --format F -o {self.root}` first")

    # -- writing --------------------------------------------------------------------------------
    def source_record(self, source_id: str) -> dict | None:
        path = self.sources_dir / f"{source_id}.json"
        return json.loads(path.read_text()) if path.exists() else None

    def _write_json(self, path: Path, doc: dict) -> None:
        with atomic_path(path) as tmp:
            tmp.write_text(json.dumps(doc, indent=1, default=_json_default) + "\n")

    def write_clip(self, meta: dict, arrays: dict[str, np.ndarray]) -> None:
        with atomic_path(self.clips_dir / f"{meta['clip_id']}.npz") as tmp:
            with open(tmp, "wb") as f:
                np.savez_compressed(f, **arrays)
        self._write_json(self.clips_dir / f"{meta['clip_id']}.json", meta)

    def record_source(self, source_id: str, segments: list[str] | None = None, error: str | None = None) -> None:
        self._write_json(self.sources_dir / f"{source_id}.json", {"segments": segments or [], "error": error})

    # -- reading --------------------------------------------------------------------------------
    def metas(self) -> list[dict]:
        """Every clip's metadata (hidden files, such as a write cut short by a crash, are not clips)."""
        return [json.loads(p.read_text()) for p in sorted(self.clips_dir.glob("*.json")) if not p.name.startswith(".")]

    def remove_stale_partials(self) -> int:
        """Delete temporary files that a killed run left (see :func:`emohead.outputs.remove_stale_partials`)."""
        return sum(remove_stale_partials(folder) for folder in (self.clips_dir, self.sources_dir))

    def load(self, clip_id: str, keys=None) -> dict[str, np.ndarray]:
        """A clip's arrays; ``keys`` limits which are decompressed (the mesh is most of a clip's bytes)."""
        with np.load(self.clips_dir / f"{clip_id}.npz") as z:
            return {k: z[k] for k in z.files if keys is None or k in keys}

    def keys(self, clip_id: str) -> list[str]:
        """The names of a clip's arrays, without decompressing any."""
        with np.load(self.clips_dir / f"{clip_id}.npz") as z:
            return list(z.files)

    def index(self) -> list[dict]:
        """Rows of index.csv (strings converted back to numbers and booleans)."""
        path = self.root / "index.csv"
        if not path.exists():
            return []
        rows = list(csv.DictReader(open(path, newline="")))
        for r in rows:
            r["n_frames"] = int(r["n_frames"])
            r["duration"] = float(r["duration"])
            r["intensity"] = int(r["intensity"]) if r["intensity"] not in ("", "None") else None
            r["synthetic"] = r["synthetic"] == "True"
            r["emotion"] = r["emotion"] or None
        return rows

    def write_index(self, test_speakers=None) -> list[dict]:
        metas = self.metas()
        splits = assign_splits([m["speaker"] or m["clip_id"] for m in metas], test_speakers=test_speakers)
        rows = [
            {k: (m.get(k) if m.get(k) is not None else "") for k in INDEX_FIELDS} | {"split": splits[m["speaker"] or m["clip_id"]]}
            for m in metas
        ]
        with atomic_path(self.root / "index.csv") as tmp:
            with open(tmp, "w", newline="") as f:
                w = csv.DictWriter(f, INDEX_FIELDS)
                w.writeheader()
                w.writerows(rows)
        return self.index()


def _json_default(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON-serialisable: {type(o)}")


_WORKER: dict = {}


def _work(src: ClipSource, asr: str = "auto", whisper_features: bool = False):
    """Runs in a worker process: one aligner per process, reused across clips."""
    from emohead.data.clip import ClipError, process_clip
    from emohead.text.align import Aligner

    if "aligner" not in _WORKER:
        _WORKER["aligner"] = Aligner()
    try:
        return src.clip_id, process_clip(src, aligner=_WORKER["aligner"], asr=asr, whisper_features=whisper_features), None
    except ClipError as err:
        return src.clip_id, None, str(err)


def prepare(
    source_root,
    fmt: str,
    out,
    workers: int = 1,
    retry_failed: bool = False,
    test_speakers=None,
    progress: bool = False,
    asr: str = "auto",
    whisper_features: bool = False,
) -> PrepareReport:
    """Scan a dataset, process every clip not yet in the cache (in ``workers`` processes), rebuild the index."""
    from tqdm import tqdm

    from emohead.text.asr import resolve_asr

    t0 = time.time()
    asr = resolve_asr(asr)
    if whisper_features:
        resolve_asr("whisper")  # fails early, with the install hint, when the extra is missing
    sources, skipped = scan(source_root, fmt)
    cache = Cache(out, create=True)
    cache.remove_stale_partials()
    report = PrepareReport(sources=len(sources), skipped_files=skipped)
    todo = []
    for s in sources:
        rec = cache.source_record(s.clip_id)
        if rec is None or (retry_failed and rec["error"]):
            todo.append(s)
        elif rec["error"]:
            report.failed[s.clip_id] = rec["error"] + " (recorded earlier; --retry-failed to try again)"
        else:
            report.done_before += 1
    bar = tqdm(total=len(todo), unit="clip", desc="prepare", disable=not progress)

    def store(clip_id, prepared, error):
        if error:
            report.failed[clip_id] = error
            cache.record_source(clip_id, error=error)
        else:
            for p in prepared:
                cache.write_clip(p.meta, p.arrays)
            if prepared[0].meta["frames_lost"] or len(prepared) > 1:
                report.split[clip_id] = (len(prepared), prepared[0].meta["frames_lost"])
            cache.record_source(clip_id, segments=[p.meta["clip_id"] for p in prepared])
            report.prepared += 1
        bar.update(1)

    if workers <= 1:
        for s in todo:
            store(*_work(s, asr, whisper_features))
    else:
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
            futures = [pool.submit(_work, s, asr, whisper_features) for s in todo]
            try:
                for fut in as_completed(futures):
                    store(*fut.result())
            except KeyboardInterrupt:
                for fut in futures:
                    fut.cancel()
                raise
    bar.close()
    rows = cache.write_index(test_speakers)
    report.clips, report.frames = len(rows), sum(r["n_frames"] for r in rows)
    report.seconds = time.time() - t0
    usage = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    report.peak_rss_mb = usage / 1024
    return report
