"""FID with user-supplied Inception-v3 weights.

Heusel et al. (NeurIPS 2017): the Frechet distance (``eval.frechet``) between Inception-v3 pool features
of generated and real frames. The network is the TorchScript export of the TF Inception graph that
StyleGAN2/3, clean-fid and torch-fidelity use (``inception-2015-12-05.pt``: uint8 NCHW images in,
2048 features out with ``return_features=True``). emohead ships no Inception weights: pass
``--inception-weights`` or set ``EMOHEAD_INCEPTION``; without them FID is reported as not available.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from emohead.eval.frechet import frechet_between

ENV = "EMOHEAD_INCEPTION"


def load_inception(path: str | Path):
    import torch

    return torch.jit.load(str(path), map_location="cpu").eval()


def inception_features(model, frames: list[np.ndarray], batch: int = 32) -> np.ndarray:
    import torch

    feats = []
    with torch.no_grad():
        for i in range(0, len(frames), batch):
            x = torch.from_numpy(np.stack(frames[i : i + batch]).transpose(0, 3, 1, 2).copy())  # uint8 NCHW; resized inside
            feats.append(model(x, return_features=True).numpy())
    return np.concatenate(feats)


def fid(model, generated: list[np.ndarray], real: list[np.ndarray]) -> float:
    return frechet_between(inception_features(model, generated), inception_features(model, real))
