"""ARPAbet phones -> viseme targets in blendshape space, with coarticulation dominance.

Targets follow the usual English viseme classes (Preston Blair / Disney / JALI): bilabials seal the
lips, labiodentals tuck the lower lip, rounded vowels pucker, open vowels drop the jaw.
``dominance`` is Cohen & Massaro's (1993) weight: how strongly a phone imposes its shape on its
neighbours; low for phones made inside the mouth (k, g, h), which take their neighbours' shape.

How far each class opens the mouth (jawOpen, with the lower and upper lip) is fitted on real talking video:
``python scripts/fit_visemes.py`` (ridge 0.3 toward the hand-set table this file had before, rest dominance 0.6)
on 700 GRID s1 sentences of the corpus, against MediaPipe's tracked inner lips. The shapes (stretch, funnel,
pucker, roll, press) stay hand-set. The fit closed the rounded vowels, r and w nearly (their opening is the
small round aperture, which the inner-lip distance reads as almost shut), opened the front vowels and alveolars
more, and gave the bilabials an open jaw behind the sealed lips (the opening around a release). The linear
predictor's correlation with the real opening rose from 0.734 to 0.802 on 200 other s1 sentences and from 0.625
to 0.663 on the 12 clips of other speakers that are not held back. Silence's dominance was then raised from 0.6
to 1.0, so the mouth closes within 150 ms of a pause as real speakers' do (``tests/test_motion.py``; on the
71 clips of ``scripts/calibrate_mouth.py`` mean r 0.700 -> 0.709).
"""

from __future__ import annotations

import numpy as np

from emohead.face import blendshapes as bs

BILABIAL = frozenset({"P", "B", "M"})

CLASSES: dict[str, tuple[tuple[str, ...], dict[str, float], float]] = {
    # name: (phones, target channels, dominance)
    "rest": (("SIL",), {}, 1.0),
    "bilabial": (("P", "B", "M"), {"jawOpen": 0.4, "mouthPressLeft": 0.35, "mouthPressRight": 0.35, "mouthClose": 0.1}, 6.0),
    "labiodental": (("F", "V"), {"jawOpen": 0.09, "mouthRollLower": 0.55, "mouthUpperUpLeft": 0.18, "mouthUpperUpRight": 0.18}, 4.0),
    "dental": (("TH", "DH"), {"jawOpen": 0.15, "mouthLowerDownLeft": 0.06, "mouthLowerDownRight": 0.06}, 1.5),
    "alveolar": (("T", "D", "N", "L", "S", "Z"), {"jawOpen": 0.34, "mouthStretchLeft": 0.12, "mouthStretchRight": 0.12}, 1.0),
    "velar": (("K", "G", "NG", "HH"), {"jawOpen": 0.27}, 0.4),
    "postalveolar": (("CH", "JH", "SH", "ZH"), {"jawOpen": 0.29, "mouthFunnel": 0.45, "mouthPucker": 0.25}, 2.5),
    "r": (("R", "ER"), {"mouthFunnel": 0.3, "mouthPucker": 0.3}, 1.8),
    "w": (("W",), {"jawOpen": 0.06, "mouthPucker": 0.75, "mouthFunnel": 0.3}, 3.0),
    "front_close": (
        ("IY", "IH", "Y"),
        {"jawOpen": 0.44, "mouthStretchLeft": 0.3, "mouthStretchRight": 0.3, "mouthSmileLeft": 0.12, "mouthSmileRight": 0.12},
        1.0,
    ),
    "front_mid": (
        ("EH", "EY", "AE"),
        {"jawOpen": 0.68, "mouthStretchLeft": 0.2, "mouthStretchRight": 0.2, "mouthLowerDownLeft": 0.26, "mouthLowerDownRight": 0.26},
        1.0,
    ),
    "open": (
        ("AA", "AH", "AO", "AW", "AY"),
        {"jawOpen": 0.59, "mouthLowerDownLeft": 0.22, "mouthLowerDownRight": 0.22, "mouthUpperUpLeft": 0.09, "mouthUpperUpRight": 0.09},
        1.0,
    ),
    "rounded": (("OW", "UH", "UW", "OY"), {"jawOpen": 0.05, "mouthFunnel": 0.45, "mouthPucker": 0.4}, 1.4),
}

TARGETS: dict[str, np.ndarray] = {}
DOMINANCE: dict[str, float] = {}
for _name, (_phones, _chans, _dom) in CLASSES.items():
    _vec = np.zeros(bs.COUNT, np.float32)
    for _ch, _v in _chans.items():
        _vec[bs.INDEX[_ch]] = _v
    for _p in _phones:
        TARGETS[_p] = _vec
        DOMINANCE[_p] = _dom


def target(phone: str) -> tuple[np.ndarray, float]:
    """(52,) target and dominance of a phone; unknown labels (noise) count as rest."""
    return TARGETS.get(phone, TARGETS["SIL"]), DOMINANCE.get(phone, DOMINANCE["SIL"])
