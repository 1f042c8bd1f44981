"""medtalk: MEDTalk (disentangled content / emotion codes, frame-wise intensity, guidance by label, reference photo
or description). network.py follows the paper and the authors' code; training.py trains it in the paper's four
stages; model.py runs it; rig.py holds the rig and intensity definitions both share."""

from emohead.spec import ModelSpec

SPEC = ModelSpec(
    name="medtalk",
    summary="MEDTalk: disentangled content/emotion autoencoder on blendshapes; frame-wise intensity from voice + words; label, photo or text",
    package=__name__,
    entry="model:MedtalkMotionModel",
    network="network:MEDTalk",
    dataset="training:MedtalkData",
    module="training:MedtalkModule",
    weights="medtalk",
    extra="text",
    conditions=frozenset({"label", "timeline", "intensity_curve", "reference", "text"}),
    predicts_intensity=True,
    stages=("autoencoder", "content", "intensity", "guidance"),
)
