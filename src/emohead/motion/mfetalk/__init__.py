"""mfetalk: MF-ETalk's three parts (AU-guided expression decoupling with residual encoding, hierarchical fusion,
emotion-consistency loss) on a diffusion model in motion space, not pixels (network.py says why). Settings
a / b / c of the paper's Table 3: ``configs/mfetalk_a.json`` (baseline), ``configs/mfetalk_b.json`` (+ MFDF) and
the default config (+ the emotion-consistency loss)."""

from emohead.spec import ModelSpec

SPEC = ModelSpec(
    name="mfetalk",
    summary="MF-ETalk as motion diffusion: transformer denoiser, AU-region encoders, hierarchical fusion, emotion-consistency loss; DDIM + guidance",
    package=__name__,
    entry="model:MfetalkMotionModel",
    network="network:MFETalk",
    dataset="training:MfetalkData",
    module="training:MfetalkModule",
    weights="mfetalk",
    extra="train",
    conditions=frozenset({"label", "timeline", "intensity_curve"}),
    options={"steps": "--steps", "guidance": "--guidance", "samples": "--samples"},
)
