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


def laplacian_lip_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """mul2lm's L_L: squared error of the Laplacian coordinates of the 20 lip points (keeps lip shape)."""
    return ((_laplacian(pred) - _laplacian(target)) ** 2).sum(-1).mean()


def landmark_sq_error(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """mul2lm's L_F: sum over points of squared error, averaged over frames."""
    return ((pred - target) ** 2).sum((-1, -2)).mean()


def pairwise_structure_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """EAPC's L_lmd (Eq. 12): the landmarks' pairwise-distance structure against the ground truth's
    (read as the difference of the two distance matrices; the printed equation omits the target)."""
    return (torch.cdist(pred, pred) - torch.cdist(target, target)).abs().mean()


def gan_d_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits)) + F.binary_cross_entropy_with_logits(
        fake_logits, torch.zeros_like(fake_logits)
    )


def gan_g_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))
