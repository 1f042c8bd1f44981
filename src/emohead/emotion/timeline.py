"""Emotion over time: a label with intensity, or a timeline such as
``"neutral@0-1.5,happy:0.9@1.5-4,sad:0.6@4-"``, resolved to per-frame weights over the 8 emotions.

Grammar: comma-separated items ``NAME[:INTENSITY][@START-[END]]``; times in seconds, END open means
"to the end", an item without ``@`` covers the whole clip. Gaps are neutral; boundaries blend with a
raised-cosine cross-fade of ``transition`` seconds. Intensity 0..1 is the usual range; above 1
exaggerates, up to :data:`INTENSITY_MAX` (higher values are clamped, with a note).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from emohead.emotion.vocabulary import EMOTIONS, canonical_emotion
from emohead.errors import EmoheadError
from emohead.limits import INTENSITY_MAX

_ITEM = re.compile(r"^\s*([A-Za-z]+)\s*(?::\s*([0-9]*\.?[0-9]+))?\s*(?:@\s*([0-9]*\.?[0-9]+)?\s*-\s*([0-9]*\.?[0-9]+)?)?\s*$")


@dataclass(frozen=True)
class Segment:
    """One timeline item: ``emotion`` at ``intensity`` from ``start`` to ``end`` seconds (None = open)."""

    emotion: str
    intensity: float
    start: float = 0.0
    end: float | None = None


def parse_timeline(spec: str, default_intensity: float = 1.0) -> list[Segment]:
    """Parse an emotion spec into segments; raises EmoheadError naming the bad item."""
    if not spec or not spec.strip():
        raise EmoheadError("empty --emotion; give a name such as 'happy' or a timeline such as 'neutral@0-2,happy@2-'")
    segments = []
    for item in spec.split(","):
        m = _ITEM.match(item)
        if not m:
            raise EmoheadError(f"bad emotion item {item.strip()!r}; write NAME[:INTENSITY][@START-END], e.g. 'happy:0.8@1.5-4'")
        name, inten, start, end = m.groups()
        emotion = canonical_emotion(name)
        s = float(start) if start else 0.0
        e = float(end) if end else None
        if e is not None and e <= s:
            raise EmoheadError(f"emotion item {item.strip()!r} ends before it starts; write START-END with END > START")
        segments.append(Segment(emotion, float(inten) if inten else default_intensity, s, e))
    ordered = sorted(segments, key=lambda g: g.start)
    for a, b in zip(ordered, ordered[1:]):
        if a.end is None or a.end > b.start + 1e-9:
            raise EmoheadError(
                f"emotion items {a.emotion}@{a.start:g}- and {b.emotion}@{b.start:g}- overlap; give each a time range that ends before the next begins"
            )
    return ordered


def timeline_weights(segments: list[Segment], n_frames: int, fps: float, transition: float = 0.4) -> tuple[np.ndarray, list[str]]:
    """(T, 8) per-frame emotion weights in EMOTIONS order, and notes (e.g. clamped intensities)."""
    notes = []
    t = (np.arange(n_frames) + 0.5) / fps
    weights = np.zeros((n_frames, len(EMOTIONS)), np.float32)
    for seg in segments:
        inten = seg.intensity
        if inten > INTENSITY_MAX:
            notes.append(f"intensity {inten:g} for {seg.emotion} clamped to {INTENSITY_MAX:g}")
            inten = INTENSITY_MAX
        inside = _soft_box(t, seg.start, np.inf if seg.end is None else seg.end, transition)
        weights[:, EMOTIONS.index(seg.emotion)] += inten * inside
    return weights, notes


def _soft_box(t: np.ndarray, start: float, end: float, width: float) -> np.ndarray:
    """1 inside [start, end], raised-cosine ramps of ``width`` centred on each edge (no ramp at 0)."""

    def ramp(x):
        return 0.5 - 0.5 * np.cos(np.pi * np.clip(x, 0.0, 1.0))

    rise = np.ones_like(t) if start <= 0 else ramp((t - start) / width + 0.5)
    fall = np.ones_like(t) if not np.isfinite(end) else ramp((end - t) / width + 0.5)
    return (rise * fall).astype(np.float32)
