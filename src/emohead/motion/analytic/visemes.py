"""ARPAbet phones -> viseme targets in blendshape space, with coarticulation dominance.

Targets follow the usual English viseme classes (Preston Blair / Disney / JALI): bilabials seal the
lips, labiodentals tuck the lower lip, rounded vowels pucker, open vowels drop the jaw.
``dominance`` is Cohen & Massaro's (1993) weight: how strongly a phone imposes its shape on its
neighbours; low for phones made inside the mouth (k, g, h), which take their neighbours' shape.
"""

from __future__ import annotations

import numpy as np

from emohead.face import blendshapes as bs

BILABIAL = frozenset({"P", "B", "M"})

_CLASSES: dict[str, tuple[tuple[str, ...], dict[str, float], float]] = {
    # name: (phones, target channels, dominance)
    "rest": (("SIL",), {}, 0.6),
    "bilabial": (("P", "B", "M"), {"mouthPressLeft": 0.35, "mouthPressRight": 0.35, "mouthClose": 0.1}, 6.0),
    "labiodental": (("F", "V"), {"jawOpen": 0.06, "mouthRollLower": 0.55, "mouthUpperUpLeft": 0.12, "mouthUpperUpRight": 0.12}, 4.0),
    "dental": (("TH", "DH"), {"jawOpen": 0.2, "mouthLowerDownLeft": 0.08, "mouthLowerDownRight": 0.08}, 1.5),
    "alveolar": (("T", "D", "N", "L", "S", "Z"), {"jawOpen": 0.18, "mouthStretchLeft": 0.12, "mouthStretchRight": 0.12}, 1.0),
    "velar": (("K", "G", "NG", "HH"), {"jawOpen": 0.26}, 0.4),
    "postalveolar": (("CH", "JH", "SH", "ZH"), {"jawOpen": 0.17, "mouthFunnel": 0.45, "mouthPucker": 0.25}, 2.5),
    "r": (("R", "ER"), {"jawOpen": 0.2, "mouthFunnel": 0.3, "mouthPucker": 0.3}, 1.8),
    "w": (("W",), {"jawOpen": 0.06, "mouthPucker": 0.75, "mouthFunnel": 0.3}, 3.0),
    "front_close": (
        ("IY", "IH", "Y"),
        {"jawOpen": 0.26, "mouthStretchLeft": 0.3, "mouthStretchRight": 0.3, "mouthSmileLeft": 0.12, "mouthSmileRight": 0.12},
        1.0,
    ),
    "front_mid": (
        ("EH", "EY", "AE"),
        {"jawOpen": 0.52, "mouthStretchLeft": 0.2, "mouthStretchRight": 0.2, "mouthLowerDownLeft": 0.2, "mouthLowerDownRight": 0.2},
        1.0,
    ),
    "open": (
        ("AA", "AH", "AO", "AW", "AY"),
        {"jawOpen": 0.68, "mouthLowerDownLeft": 0.25, "mouthLowerDownRight": 0.25, "mouthUpperUpLeft": 0.1, "mouthUpperUpRight": 0.1},
        1.0,
    ),
    "rounded": (("OW", "UH", "UW", "OY"), {"jawOpen": 0.34, "mouthFunnel": 0.45, "mouthPucker": 0.4}, 1.4),
}

TARGETS: dict[str, np.ndarray] = {}
DOMINANCE: dict[str, float] = {}
for _name, (_phones, _chans, _dom) in _CLASSES.items():
    _vec = np.zeros(bs.COUNT, np.float32)
    for _ch, _v in _chans.items():
        _vec[bs.INDEX[_ch]] = _v
    for _p in _phones:
        TARGETS[_p] = _vec
        DOMINANCE[_p] = _dom


def target(phone: str) -> tuple[np.ndarray, float]:
    """(52,) target and dominance of a phone; unknown labels (noise) count as rest."""
    return TARGETS.get(phone, TARGETS["SIL"]), DOMINANCE.get(phone, DOMINANCE["SIL"])
