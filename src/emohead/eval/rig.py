"""MEDTalk's rig metrics on the 52 blendshape channels (our stand-in for its 174-dim MetaHuman rig).

Liu et al., "MEDTalk: Multimodal Controlled 3D Facial Animation with Dynamic Emotions by Disentangled
Embedding" (ACM MM 2025), Sec. 4.2: MLE, mean L1 error on lip channels; MEE, on emotion channels; EIE,
emotion-intensity error, with intensity = the L1 norm of the emotion channels per frame; FRD, the
upper-face dynamics deviation: difference of the per-channel standard deviation over time, averaged
over upper-face channels. Lower is better for all four.

How this follows the paper (the authors publish no metric code): Eq. 15-16 are mean absolute errors over the
selected channels, as here; Eq. 17 uses Eq. 8's intensity, here the plain L1 norm of the emotion channels of the
absolute curves (the paper's 0.1 scale dropped; MEDTalk's own training target in ``motion/medtalk/rig.py`` is
further divided by the emotion's full prototype and taken from the speaker's rest, which an evaluation of any
model cannot assume); Eq. 18 averages std(real) - std(generated) over the upper face, here with the absolute
value per channel, so a channel that moves too much and one that moves too little cannot cancel. Channel sets:
lips = the speech channels, emotion = brows, cheeks, squint, eye widening, nose, lip-corner pull and depress,
dimples; upper face = brows, eyes, cheeks, nose.
"""

from __future__ import annotations

import numpy as np

from emohead.face import blendshapes as bs

LIP_CHANNELS = bs.indices(bs.SPEECH_CHANNELS)
EMOTION_CHANNELS = bs.indices(
    tuple(n for n in bs.NAMES if n.startswith(("brow", "cheek", "eyeSquint", "eyeWide", "nose", "mouthSmile", "mouthFrown", "mouthDimple")))
)
UPPER_FACE = bs.indices(tuple(n for n in bs.NAMES if n.startswith(("brow", "eye", "cheek", "nose"))))


def rig_metrics(generated: np.ndarray, real: np.ndarray) -> dict[str, float]:
    """generated, real: (T, 52) blendshapes of the same frames."""
    n = min(len(generated), len(real))
    g, r = generated[:n].astype(np.float64), real[:n].astype(np.float64)
    intensity = lambda w: np.abs(w[:, EMOTION_CHANNELS]).sum(1)  # noqa: E731
    return {
        "MLE": float(np.abs(g[:, LIP_CHANNELS] - r[:, LIP_CHANNELS]).mean()),
        "MEE": float(np.abs(g[:, EMOTION_CHANNELS] - r[:, EMOTION_CHANNELS]).mean()),
        "EIE": float(np.abs(intensity(g) - intensity(r)).mean()),
        "FRD": float(np.abs(g[:, UPPER_FACE].std(0) - r[:, UPPER_FACE].std(0)).mean()),
    }
