"""Landmark distances, the talking-face papers' lip-sync and expression metrics.

M-LD / L-LD (mouth or lip landmark distance, the 20 mouth points 48-67), F-LD (all 68 points), and their
velocity versions M-LVD / F-LVD (the same distance on frame-to-frame displacements): Chen et al.,
"Hierarchical Cross-Modal Talking Face Generation" (CVPR 2019) for LMD; EAMM (SIGGRAPH 2022) and the
EAPC paper (VISAPP 2024, Sec. 4) for M-/F-LD and -LVD; mul2lm reports L-LD and F-LD.
Head pose and scale are removed first, as those papers do after aligning faces: both sides are in
emohead's canonical frame (``face.model.canonicalize``: outer eye corners 1 apart). Reported x 100,
i.e. in percent of the outer-eye-corner distance.
"""

from __future__ import annotations

import numpy as np

from emohead.face.ibug68 import MOUTH


def _dist(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a[..., :2] - b[..., :2], axis=-1).mean() * 100)


def landmark_metrics(generated: np.ndarray, real: np.ndarray) -> dict[str, float]:
    """generated, real: (T, 68, >=2) canonical landmarks of the same frames -> M-LD, F-LD, M-LVD, F-LVD."""
    n = min(len(generated), len(real))
    g, r = generated[:n], real[:n]
    vg, vr = np.diff(g, axis=0), np.diff(r, axis=0)
    return {
        "M-LD": _dist(g[:, MOUTH], r[:, MOUTH]),
        "F-LD": _dist(g, r),
        "M-LVD": _dist(vg[:, MOUTH], vr[:, MOUTH]) if n > 1 else float("nan"),
        "F-LVD": _dist(vg, vr) if n > 1 else float("nan"),
    }
