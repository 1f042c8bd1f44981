"""Lm2Vid: landmarks -> video frames with a U-Net GAN (mul2lm + lm2vid paper, Sec. 3.4).

- The landmarks Q are drawn as a coloured sketch, one colour per facial region (:func:`draw_sketch`).
- Generator: the paper's 9-layer U-Net (4 down, a middle layer, 4 up, skip connections) on the sketch
  concatenated with the portrait: 6 channels -> RGB.
- ``refine=True``: the same U-Net as a refiner of the warp renderer: input = warped frame + sketch,
  output = a residual added to the warped frame (suits our small data: the warp already carries
  identity and texture; the network only has to fix the mouth and the stretch).
- Discriminator D_Q: 5 convolutions (64, 128, 256, 512, 512; k3 s2) + 2 FC, on image + sketch.
- Loss: L = L_VGG + 0.01 L_DQ. L_VGG needs VGG-19 weights (``emohead train lm2vid --vgg-weights`` or
  $EMOHEAD_VGG19, a torchvision state dict); without them :func:`perceptual_loss` uses an offline
  stand-in: L1 plus L1 on image gradients at three scales. The trained weights' config.json records
  which one was used (``"perceptual_loss": "vgg19"`` or ``"l1+grad"``).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from emohead.nn.base import ConfigModule, quiet_inference
from emohead.render.base import MeshRenderer

REGIONS = {  # iBUG-68 index ranges, closed or open polylines, colour (RGB)
    "jaw": (range(0, 17), False, (255, 255, 255)),
    "brow_r": (range(17, 22), False, (255, 160, 0)),
    "brow_l": (range(22, 27), False, (255, 160, 0)),
    "nose_bridge": (range(27, 31), False, (0, 200, 255)),
    "nostrils": (range(31, 36), False, (0, 200, 255)),
    "eye_r": (range(36, 42), True, (0, 255, 0)),
    "eye_l": (range(42, 48), True, (0, 255, 0)),
    "lips_outer": (range(48, 60), True, (255, 0, 80)),
    "lips_inner": (range(60, 68), True, (255, 0, 255)),
}
VGG_ENV = "EMOHEAD_VGG19"


def draw_sketch(lm68: np.ndarray, size: int, thickness: int | None = None) -> np.ndarray:
    """(68, >=2) landmarks in pixels -> (size, size, 3) uint8 sketch, one colour per region."""
    import cv2

    img = np.zeros((size, size, 3), np.uint8)
    t = thickness or max(1, size // 128)
    for idx, closed, colour in REGIONS.values():
        pts = np.round(lm68[list(idx), :2] * 4).astype(np.int32)
        cv2.polylines(img, [pts], closed, colour, t, cv2.LINE_AA, shift=2)
    return img


def _down(cin, cout, norm=True):
    layers = [nn.Conv2d(cin, cout, 4, 2, 1, bias=not norm)]
    if norm:
        layers.append(nn.InstanceNorm2d(cout, affine=True))
    return nn.Sequential(*layers, nn.LeakyReLU(0.2))


def _up(cin, cout):
    return nn.Sequential(nn.ConvTranspose2d(cin, cout, 4, 2, 1, bias=False), nn.InstanceNorm2d(cout, affine=True), nn.ReLU())


class UNet9(ConfigModule):
    """x: (B, 6, H, W) in [-1, 1] (sketch + portrait, or sketch + warped frame) -> (B, 3, H, W) in [-1, 1].
    H, W divisible by 16. 9 layers: 4 down, a middle layer, 4 up with skip connections."""

    def __init__(self, in_channels: int = 6, base: int = 64, refine: bool = False):
        super().__init__()
        self.refine = refine
        c = [base, base * 2, base * 4, base * 8]
        self.down = nn.ModuleList([_down(in_channels, c[0], norm=False), _down(c[0], c[1]), _down(c[1], c[2]), _down(c[2], c[3])])
        self.middle = nn.Sequential(nn.Conv2d(c[3], c[3], 3, 1, 1), nn.ReLU())
        self.up = nn.ModuleList([_up(c[3] * 2, c[2]), _up(c[2] * 2, c[1]), _up(c[1] * 2, c[0])])
        self.last = nn.ConvTranspose2d(c[0] * 2, 3, 4, 2, 1)

    def forward(self, x):
        skips = []
        h = x
        for d in self.down:
            h = d(h)
            skips.append(h)
        h = self.middle(h)
        for u, s in zip(self.up, reversed(skips[1:])):
            h = u(torch.cat([h, s], 1))
        out = torch.tanh(self.last(torch.cat([h, skips[0]], 1)))
        if self.refine:  # residual on the warped frame (channels 3..5 of the input)
            out = torch.clamp(x[:, 3:6] + out, -1, 1)
        return out


class ImageDiscriminator(nn.Module):
    """D_Q: (B, 6, H, W) image + sketch -> (B,) logits; 5 convs (64, 128, 256, 512, 512; k3 s2) + 2 FC."""

    def __init__(self, in_channels: int = 6, widths=(64, 128, 256, 512, 512)):
        super().__init__()
        layers, c = [], in_channels
        for w in widths:
            layers += [nn.Conv2d(c, w, 3, 2, 1), nn.LeakyReLU(0.2)]
            c = w
        self.convs = nn.Sequential(*layers)
        self.fc = nn.Sequential(nn.Linear(c, 256), nn.LeakyReLU(0.2), nn.Linear(256, 1))

    def forward(self, x):
        return self.fc(self.convs(x).mean((2, 3))).squeeze(-1)


class VGG19Features(nn.Module):
    """VGG-19 convolution stack (torchvision layout, ``features.N.weight``), returning relu1_1..relu5_1."""

    CFG = (64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512)
    TAPS = (1, 6, 11, 20, 29)

    def __init__(self):
        super().__init__()
        layers, c = [], 3
        for v in self.CFG:
            if v == "M":
                layers.append(nn.MaxPool2d(2))
            else:
                layers += [nn.Conv2d(c, v, 3, padding=1), nn.ReLU()]
                c = v
        self.features = nn.Sequential(*layers)
        self.register_buffer("mean", torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1))

    def forward(self, x):
        h, taps = ((x + 1) / 2 - self.mean) / self.std, []
        for i, layer in enumerate(self.features):
            h = layer(h)
            if i in self.TAPS:
                taps.append(h)
            if i >= self.TAPS[-1]:
                break
        return taps


def load_vgg19(path: str | Path | None = None) -> VGG19Features | None:
    """VGG-19 from a user-supplied torchvision state dict (``path`` or $EMOHEAD_VGG19), or None when neither
    is given. A path that is missing or holds other weights is an error, never a silent fall-back."""
    from emohead.errors import EmoheadError

    path = path or os.environ.get(VGG_ENV)
    if not path:
        return None
    if not Path(path).is_file():
        raise EmoheadError(f"VGG-19 weights not found: {path}; give torchvision's vgg19 state dict (.pth) or unset {VGG_ENV}")
    vgg = VGG19Features()
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        missing = set(vgg.features.state_dict()) - {k.removeprefix("features.") for k in state}
    except Exception as err:  # noqa: BLE001 - any unreadable file gets the same one-line answer
        raise EmoheadError(f"cannot read VGG-19 weights {path}: {err}; give torchvision's vgg19 state dict") from None
    if missing:
        raise EmoheadError(f"{path} is not a VGG-19 state dict (no {sorted(missing)[0]}); give torchvision's vgg19 weights")
    vgg.features.load_state_dict({k.removeprefix("features."): v for k, v in state.items() if k.startswith("features.")}, strict=False)
    return vgg.eval().requires_grad_(False)


def perceptual_loss(pred: torch.Tensor, target: torch.Tensor, vgg: VGG19Features | None = None) -> torch.Tensor:
    """L_VGG with VGG-19 features when available; otherwise the offline stand-in: L1 + image-gradient L1 at 3 scales."""
    if vgg is not None:
        return sum(F.l1_loss(a, b) for a, b in zip(vgg(pred), vgg(target)))
    loss = F.l1_loss(pred, target)
    p, t = pred, target
    for _ in range(3):
        for dim in (2, 3):
            loss = loss + F.l1_loss(torch.diff(p, dim=dim), torch.diff(t, dim=dim))
        p, t = F.avg_pool2d(p, 2), F.avg_pool2d(t, 2)
    return loss


class Lm2VidRenderer(MeshRenderer):
    """Renderer over trained lm2vid weights. Refiner weights correct the warp renderer's frame (their
    residual, computed at the training size, is upsampled onto the full-size warp); full Lm2Vid weights
    draw the frame from the sketch and the portrait."""

    name = "lm2vid"

    def __init__(self, portrait, weights: str | Path | None = None):
        import json

        import cv2

        from emohead.render.warp import WarpRenderer
        from emohead.weights import resolve_weights

        folder = resolve_weights(weights or "lm2vid", "lm2vid weights")
        self.net = UNet9.from_pretrained(folder)
        trained = json.loads((folder / "config.json").read_text()).get("trained", {})
        self.size = int(trained.get("config", {}).get("data", {}).get("size", 128))
        self.portrait, self.warp = portrait, WarpRenderer(portrait)
        self.small_portrait = cv2.resize(portrait.crop, (self.size, self.size), interpolation=cv2.INTER_AREA)

    def render(self, mesh: np.ndarray, blendshapes: np.ndarray | None = None) -> np.ndarray:
        import cv2

        from emohead.face.ibug68 import to_ibug68

        full = self.warp.render(mesh, blendshapes)
        s, scale = self.size, self.size / self.portrait.size
        sketch = draw_sketch(to_ibug68(mesh)[:, :2] * scale, s)
        base = cv2.resize(full, (s, s), interpolation=cv2.INTER_AREA) if self.net.refine else self.small_portrait
        x = torch.from_numpy(np.concatenate([sketch, base], 2).transpose(2, 0, 1)[None].astype(np.float32) / 127.5 - 1)
        with quiet_inference():
            out = (self.net(x)[0].numpy().transpose(1, 2, 0) + 1) * 127.5
        size = (self.portrait.size, self.portrait.size)
        if self.net.refine:
            residual = cv2.resize(out - base.astype(np.float32), size, interpolation=cv2.INTER_LINEAR)
            return np.clip(full.astype(np.float32) + residual, 0, 255).astype(np.uint8)
        return np.clip(cv2.resize(out, size, interpolation=cv2.INTER_CUBIC), 0, 255).astype(np.uint8)
