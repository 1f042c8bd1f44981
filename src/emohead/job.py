"""One generation job as data: the fields of ``emohead generate`` by the CLI's names (``--head-motion`` ->
``head_motion``), as they come in a REST request's JSON options or a batch file's row, checked and turned
into :func:`emohead.generate`'s arguments. The server and the batch runner share this table, so a job means
the same thing wherever it is submitted.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from emohead.errors import EmoheadError

# name -> (type, what it sets); the names and meanings of `emohead generate`'s flags
OPTIONS: dict[str, tuple[type, str]] = {
    "transcript": (str, "the words spoken"),
    "emotion": (str, "a label, a timeline such as 'neutral@0-1.5,happy@1.5-', or 'voice'"),
    "intensity": (float, "emotion intensity 0..1 (not given: 1, or medtalk's prediction per frame)"),
    "intensity_curve": (str, "keyframes SECONDS:INTENSITY for one label, e.g. '0:0,2:1'"),
    "emotion_text": (str, "a description of the expression"),
    "model": (str, "motion model"),
    "renderer": (str, "renderer"),
    "size": (int, "face crop size in pixels"),
    "full_frame": (bool, "paste the face back into the whole photo"),
    "seed": (int, "seed for blinks and head sway"),
    "head_motion": (float, "head motion scale, 0 keeps the head still"),
    "no_blinks": (bool, "do not add blinks"),
    "face_index": (int, "which face when the photo has several"),
    "asr": (str, "auto, whisper or phones"),
    "motion_fps": (float, "frame rate of the motion exports (default: the video's 25)"),
    "emospeaker_window": (int, "emospeaker: inference window of the intensity matrix (20, 15, 10, 5, 2)"),
    "intensity_level": (int, "emospeaker: intensity label 1-3"),
    "steps": (int, "mfetalk: DDIM sampling steps"),
    "guidance": (float, "mfetalk: classifier-free guidance scale"),
    "samples": (int, "mfetalk: motions drawn and averaged (1 = one draw)"),
    "heard_mouth": (
        bool,
        "eapc, mul2lm: part of the mouth's shape from what whisper hears in the voice (default: as the weights say; on for eapc)",
    ),
}
# option -> the model's own name
_MODEL_OPTIONS = {
    "emospeaker_window": "window",
    "intensity_level": "intensity_level",
    "steps": "steps",
    "guidance": "guidance",
    "samples": "samples",
    "heard_mouth": "heard_mouth",
}
# file fields: uploads for the server, paths (relative to the jobs file) for the batch runner
FILES = ("portrait", "audio", "reference_portrait")
# further paths only a local batch may name (a server never lets a request name a path)
BATCH_PATHS = ("transcript_file", "weights", "renderer_weights", "output", "export_motion", "blendshapes_csv")
_EMOTION_ARGS = ("emotion", "intensity", "intensity_curve", "emotion_text")
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}


def field_name(name: str) -> str:
    """'--head-motion' / 'head-motion' / 'head_motion' -> 'head_motion'."""
    return str(name).strip().lstrip("-").replace("-", "_").lower()


@dataclass
class JobRequest:
    """Checked options of one job. ``generate_kwargs()`` gives :func:`emohead.generate`'s keyword arguments
    (without the files)."""

    options: dict[str, object] = field(default_factory=dict)

    @classmethod
    def parse(cls, raw: Mapping[str, object], allowed: tuple[str, ...] = ()) -> JobRequest:
        """Convert and check ``raw`` (JSON values or CSV strings; empty cells are left out). Names in
        ``allowed`` pass through untouched (the caller handles them); any other unknown name is an error."""
        options: dict[str, object] = {}
        for key, value in raw.items():
            name = field_name(key)
            if name in allowed:
                continue
            if name not in OPTIONS:
                raise EmoheadError(f"unknown option {key!r}; options are: {', '.join(OPTIONS)}")
            if value is None or (isinstance(value, str) and not value.strip() and OPTIONS[name][0] is not str):
                continue
            options[name] = _convert(name, value)
        return cls(options)

    def generate_kwargs(self) -> dict[str, object]:
        kwargs = {("blinks" if k == "no_blinks" else k): (not v if k == "no_blinks" else v) for k, v in self.options.items()}
        model_options = {_MODEL_OPTIONS[k]: kwargs.pop(k) for k in list(kwargs) if k in _MODEL_OPTIONS}
        if model_options:
            kwargs["model_options"] = model_options
        return {k: v for k, v in kwargs.items() if not (isinstance(v, str) and not v.strip() and k != "transcript")}

    def check(self, reference_portrait: object = None) -> None:
        """Everything that can be checked before the files are read: option ranges, the emotion request and
        whether the model honours its kind (a reference portrait counts when ``reference_portrait`` is set)."""
        from emohead.api import check_request

        kwargs = self.generate_kwargs()
        kwargs.pop("transcript", None)
        emotion = {k: kwargs.pop(k) for k in _EMOTION_ARGS if k in kwargs}
        check_request(reference_portrait=reference_portrait, **emotion, **kwargs)


def _convert(name: str, value: object) -> object:
    kind, _ = OPTIONS[name]
    text = str(value).strip()
    if kind is bool:
        if isinstance(value, bool):
            return value
        if text.lower() in _TRUE | _FALSE:
            return text.lower() in _TRUE
        raise EmoheadError(f"option {name}: {value!r} is not true or false")
    if kind is int:
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise EmoheadError(f"option {name}: {value!r} is not a whole number")
        try:
            return int(float(text)) if isinstance(value, float) else int(text)
        except ValueError:
            raise EmoheadError(f"option {name}: {value!r} is not a whole number") from None
    if kind is float:
        try:
            number = float(text) if not isinstance(value, bool) else math.nan
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            raise EmoheadError(f"option {name}: {value!r} is not a finite number")
        return number
    if not isinstance(value, str):
        raise EmoheadError(f"option {name}: {value!r} must be text")
    return value


def read_transcript_file(path: Path) -> str:
    """The words in ``--transcript-file`` (or a batch row's ``transcript_file``)."""
    if not Path(path).is_file():
        raise EmoheadError(f"transcript file not found: {path} (check the path)")
    return Path(path).read_text(errors="replace")


def resolve_path(value: str, base: Path, what: str) -> Path:
    """A batch row's path, relative to the jobs file's folder."""
    path = Path(str(value).strip()).expanduser()
    if not str(value).strip():
        raise EmoheadError(f"{what} is empty; give a file path")
    return path if path.is_absolute() else base / path
