"""Paste rendered crops back into the full original photo (``--full-frame``).

The warp keeps the crop border fixed, so the crop already matches the photo at its edge; a feathered
mask hides the resampling seam. The photo is scaled down to at most ``max_side`` px (even sizes, for H.264).
"""

from __future__ import annotations

import numpy as np

MAX_SIDE = 1280  # full-frame output is scaled to at most this many pixels on its longer side


def _output_size(h: int, w: int, max_side: int) -> tuple[int, int]:
    s = min(1.0, max_side / max(h, w))
    return int(h * s) // 2 * 2, int(w * s) // 2 * 2


class Compositor:
    def __init__(self, image: np.ndarray, crop_matrix: np.ndarray, crop_size: int, max_side: int = MAX_SIDE, feather: float = 0.06):
        import cv2

        h, w = image.shape[:2]
        out_h, out_w = _output_size(h, w, max_side)
        self.background = cv2.resize(image, (out_w, out_h), interpolation=cv2.INTER_AREA) if (out_w, out_h) != (w, h) else image.copy()
        sx, sy = out_w / w, out_h / h
        to_crop = crop_matrix @ np.diag([1 / sx, 1 / sy, 1.0])  # output px -> crop px
        full = np.vstack([to_crop, [0, 0, 1]])
        self.from_crop = np.linalg.inv(full)[:2]  # crop px -> output px
        corners = np.array([[0, 0, 1], [crop_size, 0, 1], [0, crop_size, 1], [crop_size, crop_size, 1]], float) @ self.from_crop.T
        x0, y0 = np.maximum(np.floor(corners.min(0)).astype(int), 0)
        x1, y1 = np.minimum(np.ceil(corners.max(0)).astype(int), [out_w, out_h])
        self.box = (x0, y0, x1, y1)
        self.local = self.from_crop.copy()
        self.local[:, 2] -= (x0, y0)
        ramp = np.clip(np.minimum.outer(np.arange(crop_size), np.arange(crop_size)[::-1]) / (feather * crop_size), 0, 1)
        edge = np.minimum(ramp, ramp.T).astype(np.float32)
        self.alpha = cv2.warpAffine(edge, self.local, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR)[..., None]
        self.size = (out_h, out_w)

    @staticmethod
    def output_size(portrait, max_side: int = MAX_SIDE) -> tuple[int, int]:
        """(H, W) of the full frames for ``portrait``'s photo, without building the compositor."""
        return _output_size(*portrait.image.shape[:2], max_side)

    def paste(self, crop: np.ndarray) -> np.ndarray:
        """(S, S, 3) rendered crop -> (H, W, 3) full frame."""
        import cv2

        x0, y0, x1, y1 = self.box
        out = self.background.copy()
        patch = cv2.warpAffine(crop, self.local, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        region = out[y0:y1, x0:x1].astype(np.float32)
        out[y0:y1, x0:x1] = (region + (patch.astype(np.float32) - region) * self.alpha + 0.5).astype(np.uint8)
        return out
