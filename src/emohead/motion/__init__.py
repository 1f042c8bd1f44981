"""Motion models: one registry, one contract (``MotionInputs`` -> ``Motion``)."""

from __future__ import annotations

from emohead.errors import EmoheadError
from emohead.motion.analytic import AnalyticMotionModel
from emohead.motion.base import EmotionCondition, Motion, MotionInputs, MotionModel


def _landmark_model(cls_name: str):
    def build(weights=None, **options):
        try:
            import torch  # noqa: F401
        except ImportError:
            raise EmoheadError("the neural motion models need PyTorch: pip install 'emohead[train]'") from None
        from emohead.motion import landmark_models

        return getattr(landmark_models, cls_name)(weights=weights, **options)

    return build


MODELS = {"analytic": AnalyticMotionModel, "eapc": _landmark_model("EapcMotionModel"), "mul2lm": _landmark_model("Mul2LmMotionModel")}


def load_motion_model(name: str = "analytic", weights=None, **options) -> MotionModel:
    """A motion model by registry name, e.g. ``load_motion_model("eapc", weights="runs/eapc/weights")``.
    Neural models load their bundled weights unless ``weights`` names a folder (config.json + model.safetensors)."""
    if name not in MODELS:
        raise EmoheadError(f"unknown motion model {name!r}; available: {', '.join(MODELS)}")
    if name == "analytic":
        return AnalyticMotionModel(**options)
    return MODELS[name](weights=weights, **options)


__all__ = ["MODELS", "EmotionCondition", "Motion", "MotionInputs", "MotionModel", "load_motion_model"]
