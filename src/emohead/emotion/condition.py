"""How emotion is asked for, as checked data.

Six kinds of condition (:data:`KINDS`); each motion model declares the kinds it honours
(``ModelSpec.conditions``), and a request of any other kind is refused with one line naming the models
that can (:func:`check_supported`), never silently ignored:

- ``label``: one emotion at one intensity for the whole clip (``--emotion happy --intensity 0.8``);
- ``timeline``: emotions over time, cross-faded (``--emotion "neutral@0-1.5,happy:0.9@1.5-"``);
- ``intensity_curve``: one emotion whose intensity follows keyframes (``--emotion happy --intensity-curve "0:0,2:1,4:0.3"``);
- ``reference``: the expression of a reference photo (``--reference-portrait smiling.jpg``);
- ``text``: a description in words (``--emotion-text "a faint, nervous smile"``);
- ``voice``: read from the voice itself (``--emotion voice``).

:class:`EmotionRequest` is what the user asked (checked before any analysis); :func:`resolve` turns it,
with the analysed reference portrait, into an :class:`EmotionCondition` per frame. The one place where an
emotion becomes a blendshape offset is :meth:`EmotionCondition.offset` (via ``emotion.prototypes``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from emohead import dims
from emohead.emotion.timeline import parse_timeline, timeline_weights
from emohead.emotion.vocabulary import EMOTIONS, canonical_emotion
from emohead.errors import EmoheadError
from emohead.limits import INTENSITY_MAX, INTENSITY_REFUSED

KINDS: dict[str, str] = {
    "label": "--emotion LABEL",
    "timeline": "an --emotion timeline",
    "intensity_curve": "--intensity-curve",
    "reference": "--reference-portrait",
    "text": "--emotion-text",
    "voice": "--emotion voice",
}
VOICE = "voice"  # the --emotion value that asks for emotion read from the voice
_KEYFRAME = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*:\s*([0-9]*\.?[0-9]+)\s*$")


def check_intensity(value: float, what: str = "intensity") -> float:
    """A finite intensity in 0..INTENSITY_MAX, else a one-line error."""
    if not isinstance(value, (int, float)) or not math.isfinite(value) or not 0 <= value <= INTENSITY_REFUSED:
        raise EmoheadError(f"{what} {value!r} is out of range; use 0..1 (up to {INTENSITY_MAX:g} exaggerates)")
    return float(value)


def parse_curve(spec: str) -> tuple[np.ndarray, np.ndarray]:
    """``"0:0,2:1,4:0.3"`` (seconds:intensity keyframes) -> (times, values), times increasing."""
    times, values = [], []
    for item in (spec or "").split(","):
        m = _KEYFRAME.match(item)
        if not m:
            raise EmoheadError(f"bad intensity keyframe {item.strip()!r}; write SECONDS:INTENSITY pairs, e.g. '0:0,2:1,4:0.3'")
        times.append(float(m.group(1)))
        values.append(check_intensity(float(m.group(2)), f"intensity keyframe {item.strip()!r}"))
    if any(b <= a for a, b in zip(times, times[1:])):
        raise EmoheadError(f"intensity keyframes {spec!r} must have increasing times; sort them, e.g. '0:0,2:1,4:0.3'")
    return np.array(times), np.array(values)


@dataclass(frozen=True)
class EmotionRequest:
    """What the user asked for; at most one kind (see module doc). ``intensity`` scales a label or
    timeline items without their own; None (not given) means 1 for every model but one that predicts
    intensity itself (medtalk: per frame from the voice and words); ``transition`` is the timeline's
    cross-fade in seconds."""

    emotion: str | None = None
    intensity: float | None = None
    intensity_curve: str | None = None
    reference: str | Path | np.ndarray | None = None
    text: str | None = None
    transition: float = 0.4

    @property
    def level(self) -> float:
        """The intensity to apply: as given, or 1."""
        return 1.0 if self.intensity is None else self.intensity

    @property
    def intensity_given(self) -> bool:
        """Whether the request names its intensity: ``intensity`` or a label's own (``happy:0.8``)."""
        return self.intensity is not None or (self.emotion is not None and ":" in self.emotion)

    @property
    def kind(self) -> str | None:
        if self.reference is not None:
            return "reference"
        if self.text is not None:
            return "text"
        if self.emotion is None:
            return None
        if self.emotion.strip().lower() == VOICE:
            return "voice"
        if self.intensity_curve is not None:
            return "intensity_curve"
        return "timeline" if ("@" in self.emotion or "," in self.emotion) else "label"

    def check(self) -> EmotionRequest:
        """Syntax and combinations, before any work; returns self."""
        given = [
            k
            for k, v in (("--emotion", self.emotion), ("--reference-portrait", self.reference), ("--emotion-text", self.text))
            if v is not None
        ]
        if len(given) > 1:
            raise EmoheadError(f"give one of {' / '.join(given)}, not several: each sets the emotion")
        if self.intensity is not None:
            check_intensity(self.intensity)
        if not math.isfinite(self.transition) or self.transition < 0:
            raise EmoheadError(f"transition {self.transition!r} must be a finite number of seconds >= 0")
        if self.text is not None and not self.text.strip():
            raise EmoheadError("empty --emotion-text; describe the expression, e.g. 'a faint, nervous smile'")
        kind = self.kind
        if self.intensity_curve is not None:
            if kind != "intensity_curve":
                raise EmoheadError("--intensity-curve needs one --emotion LABEL to scale over time, e.g. --emotion happy")
            parse_curve(self.intensity_curve)
            if len(parse_timeline(self.emotion)) != 1 or "@" in self.emotion:
                raise EmoheadError("--intensity-curve scales one emotion; give a single label such as --emotion happy, not a timeline")
        elif kind in ("label", "timeline"):
            parse_timeline(self.emotion, self.level)
        return self


@dataclass
class EmotionCondition:
    """A resolved condition, per frame. ``kind`` is one of :data:`KINDS` or None (no request: the portrait
    keeps its own expression, or a model's own default such as EAPC's voice reading).

    weights: (T, 8) per-frame intensities in EMOTIONS order (label, timeline, intensity_curve);
    reference: (52,) blendshape offset read from a reference portrait, already scaled by the intensity;
    text: the description (text kind).
    """

    kind: str | None = None
    weights: np.ndarray | None = None
    reference: np.ndarray | None = None
    text: str | None = None

    def offset(self, n_frames: int) -> np.ndarray | None:
        """(T, 52) blendshape offset against a relaxed face, or None when the condition is not a face change."""
        from emohead.emotion.prototypes import load_prototypes

        if self.weights is not None:
            return load_prototypes().offset(self.weights)
        if self.reference is not None:
            return np.repeat(self.reference[None], n_frames, 0)
        return None


def resolve(request: EmotionRequest, n_frames: int, reference=None, notes: list[str] | None = None) -> EmotionCondition:
    """``request`` -> per-frame condition for ``n_frames``; ``reference`` is the analysed reference Portrait."""
    from emohead.emotion.prototypes import load_prototypes

    notes = notes if notes is not None else []
    kind = request.kind
    if kind is None:
        return EmotionCondition()
    if kind == "reference":
        if reference is None:
            raise EmoheadError("a reference-portrait condition needs the analysed reference; pass it through emohead.analyze")
        protos = load_prototypes()
        offset = protos.reference_offset(reference.blendshapes)
        label, sim = protos.nearest(np.clip(offset, 0, None))
        notes.append(f"reference portrait reads closest to '{label}' (similarity {sim:.2f})")
        return EmotionCondition(kind, reference=offset * request.level)
    if kind == "text":
        return EmotionCondition(kind, text=request.text.strip())
    if kind == "voice":
        return EmotionCondition(kind)
    if kind == "intensity_curve":
        times, values = parse_curve(request.intensity_curve)
        t = (np.arange(n_frames) + 0.5) / dims.FPS
        curve = np.interp(t, times, values)
        if curve.max() > INTENSITY_MAX:
            notes.append(f"intensity curve clamped to {INTENSITY_MAX:g}")
        weights = np.zeros((n_frames, dims.N_EMOTIONS), np.float32)
        weights[:, EMOTIONS.index(canonical_emotion(request.emotion.split(":")[0]))] = np.minimum(curve, INTENSITY_MAX)
        return EmotionCondition(kind, weights=weights)
    segments = parse_timeline(request.emotion, request.level)
    duration = n_frames / dims.FPS
    late = [g for g in segments if g.start >= duration]
    if kind == "timeline" and len(late) == len(segments):
        raise EmoheadError(
            f"the emotion timeline starts at {segments[0].start:g} s but the audio is only {duration:.2f} s long; "
            "give times within the audio"
        )
    if late:
        notes.append(
            f"timeline items after the end of the audio ({duration:.2f} s) are ignored: "
            + ", ".join(f"{g.emotion}@{g.start:g}-" for g in late)
        )
    weights, more = timeline_weights(segments, n_frames, dims.FPS, request.transition)
    notes += more
    return EmotionCondition(kind, weights=weights)


def check_supported(model: str, supported, kind: str | None, all_specs) -> None:
    """One line naming the models that can, when ``model`` does not honour a ``kind`` request."""
    if kind is None or kind in supported:
        return
    able = [s.name for s in all_specs if kind in s.conditions]
    can = (
        f"models that can: {', '.join(able)}"
        if able
        else f"no installed model honours it yet (models: {', '.join(s.name for s in all_specs)})"
    )
    raise EmoheadError(f"--model {model} cannot honour {KINDS[kind]} (it reads emotion from {_kinds_text(supported)}); {can}")


def _kinds_text(kinds) -> str:
    named = [KINDS[k] for k in KINDS if k in kinds]
    return ", ".join(named) if named else "nothing: it has no emotion control"
