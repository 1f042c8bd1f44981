"""A synthesised mouth interior, drawn where the lips part: dark cavity, upper and lower teeth,
tongue, shaded toward the corners and the back. Pure geometry from the inner-lip contour, so it
works for any identity with no training and no source pixels inside the mouth.
"""

from __future__ import annotations

import numpy as np

# Inner-lip contour of the 478 mesh, split at the corners 78 (subject's right) and 308.
UPPER_INNER = [78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308]
LOWER_INNER = [78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308]
CONTOUR = UPPER_INNER + LOWER_INNER[-2:0:-1]

CAVITY = np.array([86, 30, 36], np.float32)
TEETH = np.array([222, 212, 196], np.float32)
TONGUE = np.array([170, 82, 86], np.float32)


def draw_mouth(frame: np.ndarray, mesh: np.ndarray, min_gap_px: float = 1.2) -> None:
    """Paint the mouth interior into ``frame`` (H, W, 3) uint8 in place. mesh: (478, >=2) in frame pixels."""
    import cv2

    up, lo = mesh[UPPER_INNER, :2], mesh[LOWER_INNER, :2]
    gap = float(np.max(lo[:, 1] - up[:, 1]))
    if gap < min_gap_px:
        return
    h, w = frame.shape[:2]
    poly = mesh[CONTOUR, :2]
    x0, y0 = np.floor(poly.min(0)).astype(int) - 2
    x1, y1 = np.ceil(poly.max(0)).astype(int) + 3
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if x1 - x0 < 3 or y1 - y0 < 2:
        return
    pw, ph = x1 - x0, y1 - y0
    mask = np.zeros((ph, pw), np.uint8)
    cv2.fillPoly(mask, [np.round((poly - (x0, y0)) * 16).astype(np.int32)], 255, lineType=cv2.LINE_AA, shift=4)
    soft = 0.8 * h / 256  # feather the lip edge: about a pixel at 256 px, two at 512
    alpha = cv2.GaussianBlur(mask, (0, 0), soft).astype(np.float32)[..., None] / 255.0

    xs = np.arange(x0, x1, dtype=np.float32) + 0.5
    ys = (np.arange(y0, y1, dtype=np.float32) + 0.5)[:, None]
    top = np.interp(xs, up[:, 0], up[:, 1])[None]  # inner upper-lip edge per column
    bottom = np.interp(xs, lo[:, 0], lo[:, 1])[None]
    width = float(up[-1, 0] - up[0, 0])
    cx = float((up[0, 0] + up[-1, 0]) / 2)
    side = np.clip(np.abs(xs - cx) / max(width / 2, 1.0), 0, 1)[None]  # 0 centre .. 1 corner
    opening = np.maximum(bottom - top, 1e-3)

    depth = np.clip((ys - top) / opening, 0, 1)
    colour = CAVITY * (0.55 + 0.45 * np.abs(2 * depth - 1))[..., None] * (1 - 0.35 * side)[..., None]

    tongue_top = bottom - 0.35 * opening
    t = np.clip((ys - tongue_top) / np.maximum(bottom - tongue_top, 1e-3), 0, 1) * (side < 0.75)
    colour = colour * (1 - t[..., None]) + TONGUE * (0.6 + 0.4 * t)[..., None] * (1 - 0.4 * side)[..., None] * t[..., None]

    upper_h = np.minimum(0.14 * width, 0.45 * opening)
    lower_h = np.minimum(0.06 * width, np.maximum(0.2 * opening - 1.5, 0.0))
    teeth_up = ((ys >= top) & (ys < top + upper_h) & (side < 0.8)).astype(np.float32)
    teeth_lo = ((ys <= bottom) & (ys > bottom - lower_h) & (side < 0.6)).astype(np.float32)
    teeth = np.maximum(teeth_up, 0.7 * teeth_lo)
    below_lip = np.clip((ys - top) / np.maximum(0.35 * upper_h, 1.0), 0, 1)  # the upper lip shades the teeth
    shade = (1 - 0.7 * side**2) * (0.62 + 0.38 * below_lip)
    seams = 1 - 0.05 * (np.cos(2 * np.pi * (xs - cx) / max(width / 7, 2.0)) > 0.95)[None]
    skin = frame[y0:y1, x0:x1][mask == 0].reshape(-1, 3).astype(np.float32).mean(0) if (mask == 0).any() else TEETH
    enamel = 0.8 * TEETH + 0.2 * skin  # teeth take a little of the scene's colour
    colour = colour * (1 - teeth[..., None]) + enamel * (shade * seams)[..., None] * teeth[..., None]
    colour = cv2.GaussianBlur(colour.astype(np.float32), (0, 0), soft)

    light = float(np.median(frame[y0:y1, x0:x1].reshape(-1, 3).mean(1))) / 150.0  # match scene exposure
    colour = np.clip(colour * np.clip(light, 0.5, 1.2), 0, 255)
    patch = frame[y0:y1, x0:x1].astype(np.float32)
    frame[y0:y1, x0:x1] = (patch * (1 - alpha) + colour * alpha + 0.5).astype(np.uint8)
