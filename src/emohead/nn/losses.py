"""Losses shared by the landmark models."""

from __future__ import annotations

import torch
from torch.nn import functional as F

# 20 lip points (iBUG 48-67) as an outer ring (48-59) and an inner ring (60-67), for Laplacian coordinates.
_OUTER = list(range(48, 60))
_INNER = list(range(60, 68))


def _laplacian(lm: torch.Tensor) -> torch.Tensor:
    """Each lip point minus the mean of its two ring neighbours. lm: (..., 68, C) -> (..., 20, C)."""
    parts = []
    for ring in (_OUTER, _INNER):
        pts = lm[..., ring, :]
        parts.append(pts - 0.5 * (torch.roll(pts, 1, dims=-2) + torch.roll(pts, -1, dims=-2)))
    return torch.cat(parts, dim=-2)


def laplacian_lip_loss(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """mul2lm's L_L: squared error of the Laplacian coordinates of the 20 lip points (keeps lip shape)."""
    return _masked_mean(((_laplacian(pred) - _laplacian(target)) ** 2).sum(-1).mean(-1), mask)


def _masked_mean(x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Mean of per-frame values ``x`` (B, T) over the frames where ``mask`` (B, T) is 1 (all when None)."""
    if mask is None:
        return x.mean()
    return (x * mask).sum() / mask.sum().clamp(min=1)


def landmark_sq_error(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """mul2lm's L_F: sum over points of squared error, averaged over (real) frames."""
    return _masked_mean(((pred - target) ** 2).sum((-1, -2)), mask)


def pairwise_structure_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """EAPC's L_lmd (Eq. 12): the landmarks' pairwise-distance structure against the ground truth's
    (read as the difference of the two distance matrices; the printed equation omits the target)."""
    return (torch.cdist(pred, pred) - torch.cdist(target, target)).abs().mean()


def _bce(logits: torch.Tensor, target: float, mask: torch.Tensor | None) -> torch.Tensor:
    loss = F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, target), reduction="none")
    return _masked_mean(loss, mask)


def gan_d_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Non-saturating GAN loss of a discriminator: real -> 1, fake -> 0 (optionally over masked frames)."""
    return _bce(real_logits, 1.0, mask) + _bce(fake_logits, 0.0, mask)


def gan_g_loss(fake_logits: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    return _bce(fake_logits, 1.0, mask)
