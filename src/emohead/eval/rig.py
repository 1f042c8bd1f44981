"""MEDTalk's rig metrics on the 52 blendshape channels (our stand-in for its 174-dim MetaHuman rig).

Liu et al., "MEDTalk: Multimodal Controlled 3D Facial Animation with Dynamic Emotions by Disentangled
Embedding" (ACM MM 2025), Sec. 4.2: MLE, mean L1 error on lip channels; MEE, on emotion channels; EIE,
emotion-intensity error, with intensity = the L1 norm of the emotion channels per frame; FRD, the
upper-face dynamics deviation: difference of the per-channel standard deviation over time, averaged
over upper-face channels. Lower is better for all four.
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
