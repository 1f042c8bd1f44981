"""The project's own emotion recogniser on motion: blendshape sequences -> the 8 emotions.

HSEmotion (MF-ETalk's recogniser on generated faces) does not run offline; this one reads what every motion
model produces, the 52 blendshape curves, so it can judge motion before any pixel is rendered: MF-ETalk's
emotion-consistency loss uses it on the denoiser's x0, and ``emohead eval`` reports its accuracy beside the
FER classifier's on pixels. Two dilated temporal convolutions over the expressive channels (speech channels,
blinks and gaze are left out: they say what is said and where one looks, not how one feels), mean-pooled over
the valid frames, and a linear classifier.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from emohead import dims
from emohead.emotion.prototypes import EXPRESSIVE
from emohead.face import blendshapes as bs
from emohead.nn.base import ConfigModule

INPUT = bs.indices(EXPRESSIVE)


class MotionEmotionNet(ConfigModule):
    def __init__(self, hidden: int = 64, n_emotions: int = dims.N_EMOTIONS):
        super().__init__()
        self.register_buffer("channels", torch.as_tensor(INPUT), persistent=False)
        self.inp = nn.Conv1d(len(INPUT), hidden, 5, padding=2)
        self.mid = nn.Conv1d(hidden, hidden, 5, padding=4, dilation=2)
        self.out = nn.Linear(hidden, n_emotions)

    def forward(self, blendshapes: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """(B, T, 52) blendshapes [0, 1], mask (B, T) of valid frames -> (B, 8) logits."""
        x = blendshapes[..., self.channels].transpose(1, 2) * 4.0
        x = F.gelu(self.inp(x))
        x = F.gelu(self.mid(x)) + x
        m = torch.ones(x.shape[0], x.shape[2], device=x.device) if mask is None else mask
        pooled = (x * m[:, None]).sum(-1) / m.sum(-1, keepdim=True).clamp(min=1)
        return self.out(pooled)
