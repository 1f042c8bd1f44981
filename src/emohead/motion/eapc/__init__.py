"""eapc: the EAPC Dual-LSTM (VISAPP 2024). network.py follows the paper; model.py runs it; training.py trains it."""

from emohead.spec import ModelSpec

SPEC = ModelSpec(
    name="eapc",
    summary="EAPC Dual-LSTM (VISAPP 2024): MFCC windows + emotion read from 25 low-level voice features; a label overrides the voice",
    package=__name__,
    entry="model:EapcMotionModel",
    network="network:EAPC",
    dataset="training:EapcData",
    module="training:EapcModule",
    weights="eapc",
    extra="train",
    conditions=frozenset({"label", "timeline", "intensity_curve", "voice"}),
    options={"heard_mouth": "--heard-mouth"},
)
