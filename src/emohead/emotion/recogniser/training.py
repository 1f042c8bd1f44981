"""Training the motion emotion recogniser: cross-entropy on 25-frame windows (1 s) of every row of a feature
cache, each class weighted by the inverse of its share (the corpus is mostly neutral GRID speech). Real rows
without a label are neutral. ``hold_back_speakers`` (default CREMA-D actor 1001, the only real acted emotions
here) are left out with every synthetic row made from them, so ``benchmarks/recogniser.py`` can score the
recogniser on real acted clips it never saw. Adam, lr 1e-3.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import Dataset

from emohead import dims
from emohead.data.datasets import WindowDataset, emotion_index
from emohead.train.base import TrainingModule


class RecogniserData(Dataset):
    def __init__(self, cache, split: str = "train", window: int = dims.FPS, hold_back_speakers=("1001",)):
        self.windows = WindowDataset(cache, window=window, stride=window, split=split, fields=("blendshapes",))
        keep = [k for k, (r, _) in enumerate(self.windows.items) if self.windows.rows[r]["speaker"] not in set(hold_back_speakers)]
        self.keep = keep
        labels = [emotion_index(self.windows.rows[self.windows.items[k][0]]) for k in keep]
        counts = Counter(labels)
        self.weight = {c: len(labels) / (len(counts) * n) for c, n in counts.items()}

    def __len__(self) -> int:
        return len(self.keep)

    def __getitem__(self, i: int) -> dict:
        k = self.keep[i]
        it = self.windows[k]
        label = emotion_index(self.windows.rows[self.windows.items[k][0]])
        return {"blendshapes": it["blendshapes"], "mask": it["mask"], "label": label, "weight": np.float32(self.weight[label])}


class RecogniserModule(TrainingModule):
    def __init__(self, net, lr: float = 1e-3):
        super().__init__()
        self.net, self.lr = net, lr

    def random_batch(self, batch_size: int, frames: int = dims.FPS) -> dict[str, torch.Tensor]:
        return {
            "blendshapes": torch.rand(batch_size, frames, dims.N_BLENDSHAPES),
            "mask": torch.ones(batch_size, frames),
            "label": torch.randint(0, dims.N_EMOTIONS, (batch_size,)),
            "weight": torch.ones(batch_size),
        }

    def loss(self, batch):
        logits = self.net(batch["blendshapes"], batch["mask"])
        ce = (F.cross_entropy(logits, batch["label"], reduction="none") * batch["weight"]).sum() / batch["weight"].sum()
        acc = (logits.argmax(1) == batch["label"]).float().mean()
        return ce, {"ce": ce, "acc": acc}

    def training_step(self, batch, _):
        loss, parts = self.loss(batch)
        self.log_dict({"train/loss": loss, "train/acc": parts["acc"]}, prog_bar=True, batch_size=len(batch["label"]))
        return loss

    def validation_step(self, batch, _):
        loss, parts = self.loss(batch)
        self.log_dict({"val/loss": loss, "val/acc": parts["acc"]}, batch_size=len(batch["label"]))

    def configure_optimizers(self):
        return torch.optim.Adam(self.net.parameters(), lr=self.lr)
