"""emospeaker: EmoSpeaker (one-shot fine-grained emotion intensity). network.py follows the paper (decoupler,
ExpNet, EmoNet, C_e, PoseNet); model.py runs it with the intensity matrix; training.py trains it (Eq. 8)."""

from emohead.spec import ModelSpec

SPEC = ModelSpec(
    name="emospeaker",
    summary="EmoSpeaker: AU-guided audio decoupler + ExpNet/EmoNet/PoseNet on blendshapes; label x intensity-window matrix",
    package=__name__,
    entry="model:EmoSpeakerMotionModel",
    network="network:EmoSpeaker",
    dataset="training:EmospeakerData",
    module="training:EmospeakerModule",
    weights="emospeaker",
    extra="train",
    conditions=frozenset({"label", "timeline", "intensity_curve"}),
    options={"window": "--emospeaker-window", "intensity_level": "--intensity-level"},
)
