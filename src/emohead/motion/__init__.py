"""Motion models: one registry, one contract (``MotionInputs`` -> ``Motion``)."""

from __future__ import annotations

from emohead.errors import EmoheadError
from emohead.motion.analytic import AnalyticMotionModel
from emohead.motion.base import EmotionCondition, Motion, MotionInputs, MotionModel

MODELS: dict[str, type[MotionModel]] = {"analytic": AnalyticMotionModel}


def load_motion_model(name: str = "analytic", **options) -> MotionModel:
    """A motion model by registry name, e.g. ``load_motion_model("analytic")``."""
    if name not in MODELS:
        raise EmoheadError(f"unknown motion model {name!r}; available: {', '.join(MODELS)}")
    return MODELS[name](**options)


__all__ = ["MODELS", "EmotionCondition", "Motion", "MotionInputs", "MotionModel", "load_motion_model"]
