"""Specs: what the rest of emohead knows about a motion model or a renderer, declared once in its folder.

Each model folder's ``__init__.py`` holds one ``SPEC`` (cheap to import: no torch); the classes it names
(``"file:Class"``, relative to the folder) are imported only when used. The registries, ``emohead train``'s
choices, ``emohead bench``, the CLI help, the page and the contract tests all read these specs, so a new
model is one new folder and nothing else changes (README: "Adding a motion model").
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path

from emohead.errors import EmoheadError


@dataclass(frozen=True)
class Spec:
    """name: the registry name (``--model NAME``); summary: one line for help and tables; package: the
    folder's module (``__name__``); entry: the inference class. ``network`` / ``dataset`` / ``module``: the
    paper network (a ``ConfigModule``), its Dataset and its Lightning training module, for trainable ones.
    weights: bundled weights (a name under ``assets/weights``, or a folder inside the model's own folder);
    None means nothing learnt. extra: the pip extra the entry needs (its error message names it). stages: the
    training stages, in order, of a model trained in stages (``emohead train NAME --stage S``)."""

    name: str
    summary: str
    package: str
    entry: str
    network: str | None = None
    dataset: str | None = None
    module: str | None = None
    weights: str | None = None
    extra: str | None = None
    stages: tuple[str, ...] = ()

    def load(self, ref: str):
        """The object named ``"file:Attr"`` inside this spec's folder, or ``"package.module:Attr"`` (imports it now)."""
        module, attr = ref.split(":")
        try:
            return getattr(importlib.import_module(module if "." in module else f"{self.package}.{module}"), attr)
        except ImportError as err:
            if self.extra:
                raise EmoheadError(f"{self.name} needs {err.name or 'a missing package'}: pip install 'emohead[{self.extra}]'") from None
            raise

    @property
    def folder(self) -> Path:
        return Path(importlib.import_module(self.package).__file__).parent

    @property
    def trainable(self) -> bool:
        return self.module is not None

    @property
    def default_config(self) -> dict:
        """The folder's ``config.json`` ({"model": ..., "train": ..., "data": ...}), or {} when it has none."""
        import json

        path = self.folder / "config.json"
        return json.loads(path.read_text()) if path.is_file() else {}

    @property
    def weights_location(self) -> str | None:
        """What ``from_pretrained`` should load by default: a folder inside the model's folder, or a bundled name."""
        if self.weights is None:
            return None
        local = self.folder / self.weights
        return str(local) if local.is_dir() else self.weights


@dataclass(frozen=True)
class ModelSpec(Spec):
    """A motion model. conditions: the emotion condition kinds it honours (``emotion.condition.KINDS``);
    options: its own constructor options, name -> the CLI flag that sets it (``--emospeaker-window``);
    predicts_intensity: without an explicit ``--intensity`` it predicts the intensity itself (per frame)."""

    conditions: frozenset[str] = field(default_factory=frozenset)
    options: dict[str, str] = field(default_factory=dict)
    predicts_intensity: bool = False


@dataclass(frozen=True)
class RendererSpec(Spec):
    """A renderer: ``entry`` is a class taking (portrait[, weights]) with ``frames(motion)``."""
