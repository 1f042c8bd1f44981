"""mul2lm: Mul2Lm (EAI 2025). network.py follows the paper; model.py runs it; training.py trains it (GAN)."""

from emohead.spec import ModelSpec

SPEC = ModelSpec(
    name="mul2lm",
    summary="Mul2Lm (EAI 2025): audio LSTM + text transformer + identity and emotional-portrait encoders, two discriminators",
    package=__name__,
    entry="model:Mul2LmMotionModel",
    network="network:Mul2Lm",
    dataset="training:Mul2LmData",
    module="training:Mul2LmModule",
    weights="mul2lm",
    extra="train",
    conditions=frozenset({"label", "timeline", "intensity_curve", "reference"}),
    options={"heard_mouth": "--heard-mouth"},
)
