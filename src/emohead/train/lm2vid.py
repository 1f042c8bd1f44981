"""Training data and Lightning module for lm2vid (``render.lm2vid``) on real clips of a feature cache.

Each real frame of a training clip gives one pair. Target: the real frame, cropped the way the clip's first
frame (the portrait) is cropped. Input: the frame's landmark sketch plus either the portrait crop
(``refine=False``, the paper's Lm2Vid) or the warp renderer's rendering of the portrait driven by the real
frame's mesh (``refine=True``, the refiner). Frames are decoded once and kept in memory at ``size`` px.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import Dataset

from emohead.face.geometry import apply_pose
from emohead.nn.losses import gan_d_loss, gan_g_loss
from emohead.render.lm2vid import ImageDiscriminator, draw_sketch, load_vgg19, perceptual_loss
from emohead.train.base import TrainingModule


def _to_tensor(img: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(img.transpose(2, 0, 1).astype(np.float32) / 127.5 - 1.0)


class Lm2VidData(Dataset):
    """Frame pairs of the real clips of ``split``, held in memory: at most ``max_frames`` frames of a clip, every
    ``stride``-th of them, and at most ``clips_per_speaker`` clips of one speaker (the enlarged corpus holds 1000
    GRID s1 clips of one speaker: every frame of them would need about 40 GB at 256 px)."""

    def __init__(
        self,
        cache,
        split="train",
        size: int = 128,
        refine: bool = True,
        max_frames: int = 100,
        stride: int = 1,
        clips_per_speaker: int | None = None,
    ):
        from emohead.face.analyze import analyze_portrait, warp_crop
        from emohead.render.warp import WarpRenderer
        from emohead.video.io import read_frame_range

        self.inputs, self.targets, self.sketches = [], [], []
        metas = {m["clip_id"]: m for m in cache.metas()}
        taken: dict[str, int] = {}
        for row in cache.index():
            if row["synthetic"] or row["split"] != split:
                continue
            if clips_per_speaker is not None and taken.get(row["speaker"], 0) >= clips_per_speaker:
                continue
            taken[row["speaker"]] = taken.get(row["speaker"], 0) + 1
            meta, arrays = metas[row["clip_id"]], cache.load(row["clip_id"], {"lm68_image", "mesh", "pose"})
            start, n = int(meta["start_frame"]), min(int(meta["n_frames"]), max_frames)
            frames = read_frame_range(meta["video"], start, n)
            if not frames:
                continue
            portrait = analyze_portrait(frames[0], size)
            m = portrait.crop_matrix
            renderer = WarpRenderer(portrait) if refine else None
            meshes = apply_pose(arrays["mesh"][: len(frames)].astype(np.float64), arrays["pose"][: len(frames)].astype(np.float64))
            for k, frame in list(enumerate(frames))[::stride]:
                lm = arrays["lm68_image"][k, :, :2] @ m[:, :2].T + m[:, 2]
                mesh = meshes[k].copy()
                mesh[:, :2] = mesh[:, :2] @ m[:, :2].T + m[:, 2]
                self.targets.append(warp_crop(frame, m, size))
                self.sketches.append(draw_sketch(lm, size))
                self.inputs.append(renderer.render(mesh) if refine else portrait.crop)

    def __len__(self):
        return len(self.targets)

    def __getitem__(self, i):
        sketch = _to_tensor(self.sketches[i])
        return {"x": torch.cat([sketch, _to_tensor(self.inputs[i])]), "sketch": sketch, "y": _to_tensor(self.targets[i])}


class Lm2VidModule(TrainingModule):
    """L = L_VGG + 0.01 L_DQ (mul2lm + lm2vid, Sec. 3.4), manual optimisation; Adam 1e-4 for G and D_Q."""

    def __init__(self, net, lr: float = 1e-4, w_adv: float = 0.01, vgg_weights: str | None = None):
        super().__init__()
        self.net, self.lr, self.w_adv = net, lr, w_adv
        self.d = ImageDiscriminator()
        self.vgg = load_vgg19(vgg_weights)  # None: the offline stand-in loss
        self.summary_extra = {"perceptual_loss": "vgg19" if self.vgg is not None else "l1+grad"}
        self.automatic_optimization = False

    def random_batch(self, batch_size: int, size: int = 128) -> dict[str, torch.Tensor]:
        x = torch.rand(batch_size, self.net.config["in_channels"], size, size) * 2 - 1
        return {"x": x, "sketch": x[:, :3], "y": torch.rand(batch_size, 3, size, size) * 2 - 1}

    def optimisation_step(self, batch: dict, optimizers, backward=None) -> dict[str, torch.Tensor]:
        """One generator update, then one D_Q update; returns the losses for logging."""
        backward = backward or (lambda loss: loss.backward())
        opt_g, opt_d = optimizers
        fake = self.net(batch["x"])
        rec = perceptual_loss(fake, batch["y"], self.vgg)
        g = rec + self.w_adv * gan_g_loss(self.d(torch.cat([fake, batch["sketch"]], 1)))
        opt_g.zero_grad()
        backward(g)
        opt_g.step()
        real_in, fake_in = torch.cat([batch["y"], batch["sketch"]], 1), torch.cat([fake.detach(), batch["sketch"]], 1)
        d = gan_d_loss(self.d(real_in), self.d(fake_in))
        opt_d.zero_grad()
        backward(d)
        opt_d.step()
        return {"train/rec": rec, "train/g": g, "train/d": d}

    def training_step(self, batch, _):
        losses = self.optimisation_step(batch, self.optimizers(), self.manual_backward)
        self.log_dict(losses, prog_bar=True, batch_size=len(batch["x"]))

    def validation_step(self, batch, _):
        self.log("val/rec", perceptual_loss(self.net(batch["x"]), batch["y"], self.vgg), prog_bar=True, batch_size=len(batch["x"]))

    def configure_optimizers(self):
        return torch.optim.Adam(self.net.parameters(), lr=self.lr, betas=(0.5, 0.999)), torch.optim.Adam(
            self.d.parameters(), lr=self.lr, betas=(0.5, 0.999)
        )
