"""Image metrics on aligned face crops.

PSNR: peak signal-to-noise ratio over 8-bit frames. SSIM: Wang, Bovik, Sheikh, Simoncelli, "Image quality
assessment: from error visibility to structural similarity" (IEEE TIP 2004), Gaussian window sigma 1.5,
K1 0.01, K2 0.03 (scikit-image's implementation, on luminance). CPBD: Narvekar & Karam, "A no-reference
image blur metric based on the cumulative probability of blur detection" (IEEE TIP 2011), via the
``cpbd-py312`` package; higher is sharper. All three are reported by EmoSpeaker, mul2lm (PSNR, SSIM) and
the emotional talking-face literature in general.
"""

from __future__ import annotations

import numpy as np


def _luma(frame: np.ndarray) -> np.ndarray:
    f = frame.astype(np.float64)
    return 0.299 * f[..., 0] + 0.587 * f[..., 1] + 0.114 * f[..., 2] if f.ndim == 3 else f


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """dB between two uint8 frames (inf when identical)."""
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else float(10 * np.log10(255.0**2 / mse))


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    from skimage.metrics import structural_similarity

    return float(structural_similarity(_luma(a), _luma(b), data_range=255.0, gaussian_weights=True, sigma=1.5, use_sample_covariance=False))


def cpbd(frame: np.ndarray) -> float:
    """Sharpness of one frame (0..1, higher is sharper)."""
    import cpbd as _cpbd

    return float(_cpbd.compute(_luma(frame)))


def image_metrics(generated: list[np.ndarray], real: list[np.ndarray], cpbd_every: int = 5) -> dict[str, float]:
    """Mean PSNR / SSIM over paired frames, mean CPBD of the generated frames (every ``cpbd_every``-th).
    A frame object that repeats (a still portrait) is scored once: CPBD is the slowest metric here."""
    n = min(len(generated), len(real))
    sharpness: dict[int, float] = {}
    for i in range(0, len(generated), cpbd_every):
        if id(generated[i]) not in sharpness:
            sharpness[id(generated[i])] = cpbd(generated[i])
    p = [psnr(generated[i], real[i]) for i in range(n)]
    finite = [v for v in p if np.isfinite(v)]
    return {
        "PSNR": float(np.mean(finite)) if finite else float("inf"),
        "SSIM": float(np.mean([ssim(generated[i], real[i]) for i in range(n)])),
        "CPBD": float(np.mean([sharpness[id(generated[i])] for i in range(0, len(generated), cpbd_every)])),
    }
