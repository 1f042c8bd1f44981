"""Small building blocks."""

from __future__ import annotations

from torch import nn


def mlp(dims: list[int], slope: float | None = 0.2, last_activation: bool = False) -> nn.Sequential:
    """Fully connected stack ``dims[0] -> ... -> dims[-1]`` with LeakyReLU(slope) (ReLU when slope is None)."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(dims[:-1], dims[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(dims) - 2 or last_activation:
            layers.append(nn.LeakyReLU(slope) if slope is not None else nn.ReLU())
    return nn.Sequential(*layers)
