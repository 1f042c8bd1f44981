"""Discriminators on landmark sequences (mul2lm, Sec. 3.3 of the mul2lm + lm2vid paper).

RealismDiscriminator D_R: FC 204-256-256-128-64-1 on one frame's 68x3 landmarks.
TemporalDiscriminator D_F: two towers FC 204-256-128-64 on frames t and t+1, concatenated, then
128-64-32-1: judges whether consecutive frames move like real faces.
"""

from __future__ import annotations

import torch
from torch import nn

from emohead import dims
from emohead.nn.blocks import mlp


class RealismDiscriminator(nn.Module):
    """x: (B, T, 204) -> (B, T) logits."""

    def __init__(self, widths=(dims.LM68_3D, 256, 256, 128, 64, 1)):
        super().__init__()
        self.net = mlp(list(widths))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(-1)


class TemporalDiscriminator(nn.Module):
    """x: (B, T, 204) -> (B, T-1) logits for each pair of consecutive frames."""

    def __init__(self, tower=(dims.LM68_3D, 256, 128, 64), head=(128, 64, 32, 1)):
        super().__init__()
        self.tower_t = mlp(list(tower), last_activation=True)
        self.tower_next = mlp(list(tower), last_activation=True)
        self.head = mlp(list(head))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(torch.cat([self.tower_t(x[:, :-1]), self.tower_next(x[:, 1:])], dim=-1)).squeeze(-1)
