"""LSE-D and LSE-C (lip-sync error distance and confidence) with user-supplied SyncNet weights.

Chung & Zisserman, "Out of time: automated lip sync in the wild" (ACCV 2016 workshops); the metrics as
Wav2Lip (Prajwal et al., ACM MM 2020) report them from the public ``syncnet_python`` scoring: lip
features from 5-frame windows of 224x224 face crops, audio features from 20 MFCC frames (0.2 s), the
distance between them at every shift of +-15 frames averaged over time; LSE-D = the minimum of that mean
distance, LSE-C = its median minus the minimum, offset = the shift at the minimum. This is our own module
with the reference's layer names, so its ``syncnet_v2.model`` state dict loads as is. emohead does not ship
the weights: pass ``--syncnet-weights`` or set ``EMOHEAD_SYNCNET``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

ENV = "EMOHEAD_SYNCNET"
VSHIFT = 15


def _build():
    from torch import nn

    def c2(cin, cout, k, s=1, p=1):
        return [nn.Conv2d(cin, cout, k, s, p), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]

    def c3(cin, cout, k, s=1, p=0):
        return [nn.Conv3d(cin, cout, k, s, p), nn.BatchNorm3d(cout), nn.ReLU(inplace=True)]

    class SyncNet(nn.Module):
        """audio: (B, 1, 13, 20) MFCC -> (B, 1024); lips: (B, 3, 5, 224, 224) -> (B, 1024)."""

        def __init__(self, dim: int = 1024):
            super().__init__()
            self.netcnnaud = nn.Sequential(
                *c2(1, 64, 3),
                nn.MaxPool2d(1, 1),
                *c2(64, 192, 3),
                nn.MaxPool2d(3, (1, 2)),
                *c2(192, 384, 3),
                *c2(384, 256, 3),
                *c2(256, 256, 3),
                nn.MaxPool2d(3, 2),
                *c2(256, 512, (5, 4), p=0),
            )
            self.netfcaud = nn.Sequential(nn.Linear(512, 512), nn.BatchNorm1d(512), nn.ReLU(), nn.Linear(512, dim))
            self.netcnnlip = nn.Sequential(
                *c3(3, 96, (5, 7, 7), (1, 2, 2)),
                nn.MaxPool3d((1, 3, 3), (1, 2, 2)),
                *c3(96, 256, (1, 5, 5), (1, 2, 2), (0, 1, 1)),
                nn.MaxPool3d((1, 3, 3), (1, 2, 2), (0, 1, 1)),
                *c3(256, 256, (1, 3, 3), 1, (0, 1, 1)),
                *c3(256, 256, (1, 3, 3), 1, (0, 1, 1)),
                *c3(256, 256, (1, 3, 3), 1, (0, 1, 1)),
                nn.MaxPool3d((1, 3, 3), (1, 2, 2)),
                *c3(256, 512, (1, 6, 6)),
            )
            self.netfclip = nn.Sequential(nn.Linear(512, 512), nn.BatchNorm1d(512), nn.ReLU(), nn.Linear(512, dim))

        def forward_aud(self, x):
            return self.netfcaud(self.netcnnaud(x).flatten(1))

        def forward_lip(self, x):
            return self.netfclip(self.netcnnlip(x).flatten(1))

    return SyncNet()


def load_syncnet(path: str | Path):
    import torch

    model = _build().eval()
    state = torch.load(path, map_location="cpu", weights_only=True)
    state = {k.removeprefix("__S__."): v for k, v in state.items()}
    model.load_state_dict(state)
    return model


def face_crops_224(frames: list[np.ndarray], boxes: np.ndarray, crop_scale: float = 0.4) -> np.ndarray:
    """syncnet_python's crop: box half-size bs, window [y-bs, y+bs(1+2cs)] x [x-bs(1+cs), x+bs(1+cs)], 224 px."""
    import cv2

    centre = (boxes[:, :2] + boxes[:, 2:]) / 2
    bs = np.median((boxes[:, 2:] - boxes[:, :2]).max(1)) / 2
    out = []
    for frame, (mx, my) in zip(frames, centre):
        pad = int(bs * (1 + 2 * crop_scale)) + 1
        padded = np.pad(frame, ((pad, pad), (pad, pad), (0, 0)), constant_values=110)
        x0, x1 = int(mx - bs * (1 + crop_scale)) + pad, int(mx + bs * (1 + crop_scale)) + pad
        y0, y1 = int(my - bs) + pad, int(my + bs * (1 + 2 * crop_scale)) + pad
        out.append(cv2.resize(padded[y0:y1, x0:x1], (224, 224)))
    return np.stack(out)


def lse(model, frames: list[np.ndarray], boxes: np.ndarray, samples: np.ndarray) -> dict[str, float]:
    """LSE-D, LSE-C and the SyncNet offset of one video (frames at 25 fps, audio at 16 kHz)."""
    import torch

    from emohead.audio.features import mfcc_psf

    crops = face_crops_224(frames, boxes).astype(np.float32)  # (T, 224, 224, 3), 0..255 as the reference feeds it
    cc = mfcc_psf(samples).T  # (13, N) at 100 Hz
    last = min(len(crops), cc.shape[1] // 4) - 5
    if last < 2 * VSHIFT + 1:
        return {"LSE-D": float("nan"), "LSE-C": float("nan"), "SyncNet offset": float("nan")}
    video = torch.from_numpy(crops.transpose(3, 0, 1, 2)[None])  # (1, 3, T, 224, 224)
    with torch.no_grad():
        lip = torch.cat([model.forward_lip(video[:, :, i : i + 5]) for i in range(last)])
        aud = torch.cat([model.forward_aud(torch.from_numpy(cc[None, None, :, 4 * i : 4 * i + 20].copy())) for i in range(last)])
    padded = torch.nn.functional.pad(aud, (0, 0, VSHIFT, VSHIFT))
    dists = torch.stack(
        [torch.nn.functional.pairwise_distance(lip[[i]].repeat(2 * VSHIFT + 1, 1), padded[i : i + 2 * VSHIFT + 1]) for i in range(last)]
    )
    mean = dists.mean(0).numpy()
    k = int(mean.argmin())
    return {"LSE-D": float(mean[k]), "LSE-C": float(np.median(mean) - mean[k]), "SyncNet offset": float(VSHIFT - k)}
