"""What MEDTalk reads and writes, as numpy, shared by training and inference (no torch here).

**The rig.** The 52 blendshapes, with the expressive channels (``emotion.prototypes.EXPRESSIVE``) moved from the
speaker's own rest state to the prototypes' relaxed face (``baseline``): ``r = w - rest + baseline`` on those
channels. MEDTalk's MetaHuman rig is the same for every identity; measured blendshapes are not (one speaker's
resting brows sit higher than another's), so the identity's rest is taken out. In training the rest is the
per-channel median of the speaker's neutral real clips (synthetic rows are built on the relaxed face
already); at inference it is the portrait's own face.

**The intensity** (Eq. 8): the L1 norm of the emotion-bearing channels against the relaxed face,
:data:`INTENSITY_CHANNELS` (brows, squint, eye widening, cheek raise, nose wrinkle, lip-corner pull and
depress: our equivalents of the authors' 14 brow / blink / squint / lip-corner controllers). Blinks are left
out: ours come from the blink generator every model shares and carry no emotion. The norm is divided by the
same norm of the emotion's prototype at intensity 1 (the paper scales by 0.1), so 1 means a full, acted
expression of that emotion, the unit ``--intensity`` uses everywhere in emohead.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from emohead.emotion.prototypes import EXPRESSIVE, load_prototypes
from emohead.emotion.vocabulary import EMOTIONS
from emohead.face import blendshapes as bs
from emohead.motion.animate import loudness

INTENSITY_CHANNELS = bs.indices(
    tuple(n for n in bs.NAMES if n.startswith(("brow", "eyeSquint", "eyeWide", "cheekSquint", "noseSneer", "mouthSmile", "mouthFrown")))
)
I_EXPRESSIVE = bs.indices(EXPRESSIVE)


@lru_cache(maxsize=1)
def intensity_norms() -> np.ndarray:
    """(8,) the intensity norm of each emotion's prototype at intensity 1 (neutral: the mean of the others)."""
    protos = load_prototypes()
    norms = np.array([np.abs(protos.label_offset(e, 1.0)[INTENSITY_CHANNELS]).sum() for e in EMOTIONS], np.float32)
    norms[EMOTIONS.index("neutral")] = norms[norms > 0].mean()
    return norms


def to_rig(w: np.ndarray, rest: np.ndarray) -> np.ndarray:
    """(T, 52) blendshapes -> rig: the expressive channels moved from ``rest`` to the relaxed face."""
    r = w.astype(np.float32).copy()
    r[:, I_EXPRESSIVE] += load_prototypes().baseline[I_EXPRESSIVE] - rest[I_EXPRESSIVE]
    return r


def intensity(rig: np.ndarray, emotion: int) -> np.ndarray:
    """(T,) Eq. 8 in units of the emotion's full prototype (module doc)."""
    base = load_prototypes().baseline[INTENSITY_CHANNELS]
    return (np.abs(rig[:, INTENSITY_CHANNELS] - base).sum(1) / intensity_norms()[emotion]).astype(np.float32)


def image_offset(frame: np.ndarray) -> np.ndarray:
    """(52,) a face's expression as P_image reads it: the expressive channels' offset from the relaxed face, zero
    elsewhere (what ``Prototypes.reference_offset`` gives for a reference photo, before any intensity)."""
    out = np.zeros(len(frame), np.float32)
    out[I_EXPRESSIVE] = frame[I_EXPRESSIVE] - load_prototypes().baseline[I_EXPRESSIVE]
    return out


def voice_input(llf: np.ndarray, energy_db: np.ndarray) -> np.ndarray:
    """(T, 26) FIM query: the 25 low-level voice features and loudness, each standardised over the utterance
    (what varies within a clip; the recording's own level and timbre are taken out)."""
    x = np.concatenate([llf, loudness(energy_db)[:, None]], 1).astype(np.float32)
    return ((x - x.mean(0)) / (x.std(0) + 1e-3)).astype(np.float32)


def savgol_smooth(x: np.ndarray, window: int = 5, order: int = 2) -> np.ndarray:
    """Savitzky-Golay smoothing (the authors' code smooths the intensity with (5, 2) at inference)."""
    if len(x) < window:
        return x
    from scipy.signal import savgol_filter

    return savgol_filter(x, window, order, axis=0).astype(np.float32)
