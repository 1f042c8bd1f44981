"""Motion models: one contract (``MotionInputs`` -> ``Motion``), one folder per model, one registry.

Every subfolder whose ``__init__.py`` defines ``SPEC`` (a :class:`~emohead.spec.ModelSpec`) is a model;
:func:`specs` finds them, so nothing lists models by hand. Folders named in ``$EMOHEAD_MODELS_PATH``
(``os.pathsep``-separated) are searched as well: a model of your own is one folder there.
"""

from __future__ import annotations

import importlib
import os
import pkgutil

from emohead.errors import EmoheadError
from emohead.motion.base import Motion, MotionInputs, MotionModel
from emohead.spec import ModelSpec

DEFAULT_MODEL = "analytic"
__path__ += [p for p in os.environ.get("EMOHEAD_MODELS_PATH", "").split(os.pathsep) if p and p not in __path__]
_FOUND: dict[tuple, dict[str, ModelSpec]] = {}


def specs() -> dict[str, ModelSpec]:
    """name -> spec of every registered motion model, the default first, then by name."""
    key = tuple(__path__)
    if key not in _FOUND:
        found = {}
        for info in pkgutil.iter_modules(__path__):
            if info.ispkg:
                spec = getattr(importlib.import_module(f"{__name__}.{info.name}"), "SPEC", None)
                if isinstance(spec, ModelSpec):
                    found[spec.name] = spec
        _FOUND[key] = dict(sorted(found.items(), key=lambda kv: (kv[0] != DEFAULT_MODEL, kv[0])))
    return _FOUND[key]


def get_spec(name: str) -> ModelSpec:
    """The spec registered as ``name``; unknown names raise with the list of known ones."""
    known = specs()
    if name not in known:
        raise EmoheadError(f"unknown motion model {name!r}; available: {', '.join(known)}")
    return known[name]


def load_motion_model(name: str = DEFAULT_MODEL, weights=None, **options) -> MotionModel:
    """A motion model by registry name, e.g. ``load_motion_model("eapc", weights="runs/eapc/weights")``.
    Models with learnt weights load their bundled ones unless ``weights`` names a folder
    (config.json + model.safetensors); passing weights to a model that has none is an error."""
    spec = get_spec(name)
    cls = spec.load(spec.entry)
    if spec.weights is None:
        if weights is not None:
            raise EmoheadError(
                f"--model {name} has no learnt weights; drop --weights (models with weights: "
                f"{', '.join(s.name for s in specs().values() if s.weights)})"
            )
        return cls(**options)
    return cls(weights=weights or spec.weights_location, **options)


__all__ = ["DEFAULT_MODEL", "Motion", "MotionInputs", "MotionModel", "get_spec", "load_motion_model", "specs"]
