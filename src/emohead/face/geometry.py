"""Rigid geometry shared by face analysis, the face model and the renderers.

Conventions: points are (N, 3) in pixels of the image they came from (x right, y down, z in the same
units, larger z farther from the camera, as MediaPipe). A *pose* is (6,) float:
``[pitch, yaw, roll]`` in radians, ``[tx, ty]`` in pixels, ``scale`` in pixels per canonical unit, with
``points = scale * R(pitch, yaw, roll) @ canonical + [tx, ty, 0]``.
"""

from __future__ import annotations

import numpy as np

# Vertices that move with the skull and not with expression: forehead, nose bridge, temples, inner eye corners.
RIGID_VERTICES = np.array([10, 151, 9, 8, 109, 338, 67, 297, 103, 332, 168, 6, 197, 195, 5, 4, 127, 356, 234, 454, 93, 323, 133, 362])


def euler_to_matrix(angles: np.ndarray) -> np.ndarray:
    """(..., 3) [pitch, yaw, roll] radians -> (..., 3, 3) rotation ``Rz(roll) @ Ry(yaw) @ Rx(pitch)``."""
    angles = np.asarray(angles, dtype=np.float64)
    p, y, r = angles[..., 0], angles[..., 1], angles[..., 2]
    cp, sp, cy, sy, cr, sr = np.cos(p), np.sin(p), np.cos(y), np.sin(y), np.cos(r), np.sin(r)
    m = np.empty(angles.shape[:-1] + (3, 3))
    m[..., 0, 0] = cr * cy
    m[..., 0, 1] = cr * sy * sp - sr * cp
    m[..., 0, 2] = cr * sy * cp + sr * sp
    m[..., 1, 0] = sr * cy
    m[..., 1, 1] = sr * sy * sp + cr * cp
    m[..., 1, 2] = sr * sy * cp - cr * sp
    m[..., 2, 0] = -sy
    m[..., 2, 1] = cy * sp
    m[..., 2, 2] = cy * cp
    return m


def matrix_to_euler(m: np.ndarray) -> np.ndarray:
    """Inverse of :func:`euler_to_matrix` for |yaw| < 90 degrees: (..., 3, 3) -> (..., 3)."""
    pitch = np.arctan2(m[..., 2, 1], m[..., 2, 2])
    yaw = np.arcsin(np.clip(-m[..., 2, 0], -1.0, 1.0))
    roll = np.arctan2(m[..., 1, 0], m[..., 0, 0])
    return np.stack([pitch, yaw, roll], axis=-1)


def similarity_fit(src: np.ndarray, dst: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Least-squares ``dst ~ s * R @ src + t`` (Umeyama 1991). src, dst: (N, 3). Returns (s, R, t)."""
    mu_s, mu_d = src.mean(0), dst.mean(0)
    a, b = src - mu_s, dst - mu_d
    u, sig, vt = np.linalg.svd(b.T @ a)
    d = np.ones(3)
    d[2] = np.sign(np.linalg.det(u @ vt)) or 1.0
    rot = (u * d) @ vt
    scale = float((sig * d).sum() / (a**2).sum())
    return scale, rot, mu_d - scale * rot @ mu_s


def pose_from_similarity(scale: float, rot: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Pack a similarity into the (6,) pose vector (the z translation is dropped: projection is orthographic)."""
    return np.concatenate([matrix_to_euler(rot), t[:2], [scale]]).astype(np.float64)


def apply_pose(canonical: np.ndarray, pose: np.ndarray) -> np.ndarray:
    """canonical (T, N, 3), pose (T, 6) -> points (T, N, 3) in pixels."""
    rot = euler_to_matrix(pose[:, :3])
    pts = np.einsum("tij,tnj->tni", rot, canonical) * pose[:, 5, None, None]
    pts[..., 0] += pose[:, 3, None]
    pts[..., 1] += pose[:, 4, None]
    return pts
