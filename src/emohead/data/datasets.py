"""Dataloaders over a feature cache: sliding windows (EAPC's 25 frames) and whole sequences (MEDTalk).

Items are dicts of numpy arrays, so ``torch.utils.data.DataLoader`` batches them as tensors with its
default collate (windows), or with :func:`collate_sequences` (variable lengths, padded, with a mask).
Per-frame fields: lm68, lm68_image, mesh, blendshapes, pose, mfcc, mfcc_window, llf, energy_db, and
``phone_ids`` (T,) built from the aligned phones (index into :data:`PHONES`). Each item also carries
``emotion`` (index into EMOTIONS, -1 unknown), ``intensity`` (level, 0 unknown) and ``mask`` (T,).
"""

from __future__ import annotations

from collections import defaultdict
from functools import lru_cache

import numpy as np

from emohead import dims
from emohead.data.cache import Cache
from emohead.emotion.vocabulary import EMOTIONS
from emohead.text.features import PHONES

DEFAULT_FIELDS = ("lm68", "blendshapes", "pose", "mfcc", "mfcc_window", "llf", "energy_db", "phone_ids")


def frame_phones(labels: np.ndarray, times: np.ndarray, n_frames: int, fps: float = dims.FPS) -> np.ndarray:
    """(T,) int phone id at each frame centre (0 = SIL where no phone covers it)."""
    ids = np.zeros(n_frames, np.int64)
    centres = (np.arange(n_frames) + 0.5) / fps
    for label, (start, end) in zip(labels, times):
        k = PHONES.index(label) if label in PHONES else 0
        ids[(centres >= start) & (centres < end)] = k
    return ids


def cached_phones(arrays: dict[str, np.ndarray]) -> list:
    """The cache's phone and word arrays back into aligned ``Phone`` objects (word by time overlap)."""
    from emohead.text.align import Phone

    words = list(zip(arrays["word_labels"], arrays["word_times"]))
    out = []
    for label, (a, b) in zip(arrays["phone_labels"], arrays["phone_times"]):
        k = next((i for i, (_, (ws, we)) in enumerate(words) if ws - 1e-3 <= (a + b) / 2 <= we + 1e-3), None)
        out.append(
            Phone(
                str(label),
                float(a),
                float(b),
                str(words[k][0]) if k is not None and label != "SIL" else None,
                k if label != "SIL" else None,
            )
        )
    return out


class _CacheRows:
    def __init__(self, cache: Cache | str, split: str | None = "train", fields=DEFAULT_FIELDS, synthetic: bool = True, reference_fields=()):
        self.cache = cache if isinstance(cache, Cache) else Cache(cache)
        self.rows = [r for r in self.cache.index() if (split is None or r["split"] == split) and (synthetic or not r["synthetic"])]
        self.fields = tuple(fields)
        self.reference_fields = tuple(reference_fields)  # returned as ref_NAME: the first frame of the clip (of its
        # source recording for a synthetic row), not the window's
        self._load = lru_cache(maxsize=1024)(self._read)

    def _read(self, clip_id: str) -> dict[str, np.ndarray]:
        keys = set(self.fields) | set(self.reference_fields) | {"blendshapes", "phone_labels", "phone_times", "word_labels", "word_times"}
        arrays = self.cache.load(clip_id, keys)
        n = len(arrays["blendshapes"])
        arrays["phone_ids"] = frame_phones(arrays["phone_labels"], arrays["phone_times"], n)
        if "text" in self.fields:
            from emohead.text.features import text_features

            arrays["text"] = text_features(cached_phones(arrays), n)
        return {k: arrays[k] for k in set(self.fields) | set(self.reference_fields)}

    def _labels(self, row: dict, arrays: dict) -> dict:
        if self.reference_fields and row["synthetic"] and row["source_clip"] != row["clip_id"]:
            # a synthetic row's own first frame already wears the emotion it teaches, so a model given it as the
            # identity learns to copy it and ignore the label; the real recording it was made from is the
            # reference instead, as a portrait is at inference
            arrays = self._load(row["source_clip"])
        refs = {f"ref_{k}": arrays[k][0] for k in self.reference_fields}
        return {
            "emotion": EMOTIONS.index(row["emotion"]) if row["emotion"] in EMOTIONS else -1,
            "intensity": row["intensity"] or 0,
            "synthetic": float(row["synthetic"]),
            **refs,
        }


class WindowDataset(_CacheRows):
    """Fixed-length windows of ``window`` frames every ``stride`` frames, never crossing clips; a clip's
    tail shorter than a window is padded with its last frame and masked out."""

    def __init__(self, cache, window: int = 25, stride: int | None = None, **kw):
        super().__init__(cache, **kw)
        self.window, stride = window, stride or window
        self.items = []
        for r, row in enumerate(self.rows):
            starts = list(range(0, max(row["n_frames"] - window, 0) + 1, stride))
            if starts[-1] + window < row["n_frames"]:
                starts.append(row["n_frames"] - window if row["n_frames"] >= window else 0)
            self.items += [(r, s) for s in starts]

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> dict:
        r, s = self.items[i]
        arrays = self._load(self.rows[r]["clip_id"])
        out = {}
        for k in self.fields:
            v = arrays[k]
            part = v[s : s + self.window]
            if len(part) < self.window:
                part = np.concatenate([part, np.repeat(part[-1:], self.window - len(part), 0)])
            out[k] = part
        valid = min(self.window, self.rows[r]["n_frames"] - s)
        out["mask"] = (np.arange(self.window) < valid).astype(np.float32)
        return out | self._labels(self.rows[r], arrays)


class SequenceDataset(_CacheRows):
    """Whole clips (optionally cut to ``max_frames``); batch them with :func:`collate_sequences`."""

    def __init__(self, cache, max_frames: int | None = None, **kw):
        super().__init__(cache, **kw)
        self.max_frames = max_frames

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int) -> dict:
        arrays = self._load(self.rows[i]["clip_id"])
        out = {k: arrays[k][: self.max_frames] for k in self.fields}
        out["mask"] = np.ones(len(out[self.fields[0]]), np.float32)
        return out | self._labels(self.rows[i], arrays)


def collate_sequences(items: list[dict]) -> dict[str, np.ndarray]:
    """Pad per-frame arrays to the longest item (edge values), stack labels; ``mask`` marks real frames."""
    longest = max(len(it["mask"]) for it in items)
    out = {}
    for key in items[0]:
        vals = [it[key] for it in items]
        if isinstance(vals[0], np.ndarray) and vals[0].ndim >= 1:
            pad = [np.concatenate([v, np.repeat(v[-1:] * (0 if key == "mask" else 1), longest - len(v), 0)]) for v in vals]
            out[key] = np.stack(pad)
        else:
            out[key] = np.array(vals)
    return out


def speaker_rests(cache: Cache, rows: list[dict]) -> dict[str, np.ndarray]:
    """speaker -> (52,) the speaker's rest face: per-channel median blendshapes over the speaker's neutral real
    clips (all real clips when the speaker has no neutral one), for models that take the identity out of
    measured blendshapes (medtalk's rig, mfetalk's neutral state)."""
    by_speaker: dict[str, list[np.ndarray]] = defaultdict(list)
    neutral: dict[str, list[np.ndarray]] = defaultdict(list)
    for row in rows:
        if row["synthetic"]:
            continue
        w = cache.load(row["clip_id"], ["blendshapes"])["blendshapes"]
        by_speaker[row["speaker"]].append(w)
        if row["emotion"] in ("", "neutral", None):
            neutral[row["speaker"]].append(w)
    return {s: np.median(np.concatenate(neutral.get(s) or ws), 0).astype(np.float32) for s, ws in by_speaker.items()}


def emotion_index(row: dict) -> int:
    """Index into EMOTIONS of an index row's emotion; real speech without a label (GRID) counts as neutral."""
    return EMOTIONS.index(row["emotion"]) if row["emotion"] in EMOTIONS else EMOTIONS.index("neutral")
