"""The base of every training module: a Lightning module that can also build a random batch of its own
shapes and run one full optimisation step outside a Trainer, so ``emohead bench`` times exactly what
training does for any registered model without knowing its inputs."""

from __future__ import annotations

import lightning as L
import torch


class TrainingModule(L.LightningModule):
    """Subclasses implement ``loss(batch) -> (loss, parts)`` and :meth:`random_batch`; GAN modules with
    manual optimisation override :meth:`optimisation_step`."""

    def random_batch(self, batch_size: int) -> dict[str, torch.Tensor]:
        raise NotImplementedError

    def optimisation_step(self, batch: dict, optimizers) -> None:
        """One training step on ``batch`` with the optimisers of :meth:`configure_optimizers`."""
        opt = optimizers[0]
        opt.zero_grad()
        self.loss(batch)[0].backward()
        opt.step()

    def bench_optimizers(self) -> list[torch.optim.Optimizer]:
        opts = self.configure_optimizers()
        return list(opts) if isinstance(opts, (list, tuple)) else [opts]
