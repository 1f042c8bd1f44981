"""Offline audio-visual sync stand-in (clearly not SyncNet): how well mouth opening follows the speech.

The mouth-opening curve (inner-lip gap per frame) is correlated with the speech envelope (frame
loudness in dB) at every shift within +-``max_offset`` frames. The shift with the highest correlation is
the AV offset in frames, the convention of SyncNet's offset (Chung & Zisserman, "Out of time", ACCV 2016
workshops): positive means the video lags the audio. The correlation at that shift is reported as
"AV-corr" (higher is better); it plays the role of LSE-C without SyncNet's weights.
"""

from __future__ import annotations

import numpy as np


def av_offset(opening: np.ndarray, energy_db: np.ndarray, max_offset: int = 10) -> tuple[int, float]:
    """(offset in frames, correlation at that offset). opening, energy_db: (T,) per video frame."""
    n = min(len(opening), len(energy_db))
    m, e = np.asarray(opening[:n], float), np.asarray(energy_db[:n], float)
    best = (0, -np.inf)
    for lag in range(-max_offset, max_offset + 1):
        a = m[max(0, lag) : n + min(0, lag)]  # video at t + lag ...
        b = e[max(0, -lag) : n - max(0, lag)]  # ... against audio at t
        if len(a) > 3 and a.std() > 1e-9 and b.std() > 1e-9:
            r = float(np.corrcoef(a, b)[0, 1])
            if r > best[1]:
                best = (lag, r)
    return best if np.isfinite(best[1]) else (0, 0.0)
