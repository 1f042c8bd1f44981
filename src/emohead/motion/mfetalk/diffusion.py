"""The diffusion process: a DDPM noise schedule for training (Ho et al. 2020) and a DDIM sampler (Song et al.
2021, eta = 0: deterministic given the starting noise) with any number of steps, for a denoiser that predicts x0.

``q_sample`` draws x_t ~ q(x_t | x_0) = N(sqrt(abar_t) x_0, (1 - abar_t) I); ``ddim_sample`` walks a strided
subset of the training steps from pure noise to x0, calling ``predict_x0(x_t, t)`` at each.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

STEPS = 1000  # training diffusion steps


def cosine_alpha_bar(steps: int = STEPS, s: float = 0.008) -> torch.Tensor:
    """abar_t for t = 0..steps-1 (Nichol & Dhariwal 2021's cosine schedule): abar_0 close to 1, abar_{T-1} close to 0."""
    t = torch.arange(steps + 1, dtype=torch.float64) / steps
    f = torch.cos((t + s) / (1 + s) * math.pi / 2) ** 2
    abar = (f / f[0])[1:]
    return abar.clamp(1e-5, 0.9999).float()


class Schedule:
    def __init__(self, steps: int = STEPS):
        self.steps = steps
        self.alpha_bar = cosine_alpha_bar(steps)

    def q_sample(self, x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        ab = self.alpha_bar.to(x0.device)[t].view(-1, *([1] * (x0.dim() - 1)))
        return ab.sqrt() * x0 + (1 - ab).sqrt() * noise

    def ddim_steps(self, n: int) -> list[int]:
        """``n`` training steps, evenly spaced from the last to the first, descending."""
        if not 1 <= n <= self.steps:
            raise ValueError(f"DDIM steps must be 1..{self.steps}, not {n}")
        return sorted({int(round(x)) for x in torch.linspace(self.steps - 1, 0, n).tolist()}, reverse=True)

    def ddim_sample(
        self, predict_x0: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], noise: torch.Tensor, n_steps: int
    ) -> torch.Tensor:
        """x0 from ``noise`` (x_T) in ``n_steps`` deterministic DDIM steps (eta 0)."""
        x = noise
        seq = self.ddim_steps(n_steps)
        ab = self.alpha_bar.to(noise.device)
        for i, t in enumerate(seq):
            tt = torch.full((len(x),), t, dtype=torch.long, device=x.device)
            x0 = predict_x0(x, tt)
            if i == len(seq) - 1:
                return x0
            eps = (x - ab[t].sqrt() * x0) / (1 - ab[t]).sqrt()
            nxt = seq[i + 1]
            x = ab[nxt].sqrt() * x0 + (1 - ab[nxt]).sqrt() * eps
        return x
