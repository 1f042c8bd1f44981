"""Motion exports for 3D tools: npz (arrays), Live Link Face CSV (blendshapes + head rotation), JSON."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from emohead import dims
from emohead.face import blendshapes as bs
from emohead.motion.base import Motion

MESH_FRAME_LIMIT = 10 * 60 * dims.FPS  # 10 min: beyond this the npz leaves out the (T, 478, 3) mesh


def motion_arrays(motion: Motion, lm68: np.ndarray, crop_matrix: np.ndarray, notes: list[str]) -> dict[str, np.ndarray]:
    """Everything the npz holds. Geometry is in crop pixels; ``crop_matrix`` maps original-photo px to crop px."""
    arrays = {
        "lm68": lm68.astype(np.float32),
        "blendshapes": motion.blendshapes.astype(np.float32),
        "blendshape_names": np.array(bs.NAMES),
        "pose": motion.pose.astype(np.float32),
        "pose_names": np.array(["pitch", "yaw", "roll", "tx", "ty", "scale"]),
        "fps": np.float32(motion.fps),
        "crop_matrix": crop_matrix.astype(np.float32),
        "neutral_canonical": motion.neutral.astype(np.float32),
    }
    if len(motion) <= MESH_FRAME_LIMIT:
        arrays["mesh"] = motion.mesh()
    else:
        notes.append(f"mesh left out of the npz ({len(motion)} frames > {MESH_FRAME_LIMIT}); rebuild it from blendshapes + pose")
    return arrays


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    with open(path, "wb") as f:
        np.savez_compressed(f, **arrays)


def _timecode(frame: int, fps: float) -> str:
    s, f = divmod(frame, int(fps))
    return f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}:{f:02d}.000"


def write_live_link_csv(path: Path, motion: Motion) -> None:
    """Epic Live Link Face layout: Timecode, BlendShapeCount, 52 curves, head yaw/pitch/roll (rad), eyes (0)."""
    cols = [bs.INDEX[n] for n in bs.LIVE_LINK_ORDER]
    header = ["Timecode", "BlendShapeCount"] + [n[0].upper() + n[1:] for n in bs.LIVE_LINK_ORDER]
    header += [
        "HeadYaw",
        "HeadPitch",
        "HeadRoll",
        "LeftEyeYaw",
        "LeftEyePitch",
        "LeftEyeRoll",
        "RightEyeYaw",
        "RightEyePitch",
        "RightEyeRoll",
    ]
    head = motion.pose[:, [1, 0, 2]] - motion.pose[:1, [1, 0, 2]]  # relative to the first frame
    with open(path, "w", newline="") as f:
        f.write(",".join(header) + "\n")
        for i in range(len(motion)):
            vals = [f"{v:.4f}" for v in motion.blendshapes[i, cols]] + [f"{v:.4f}" for v in head[i]] + ["0"] * 6
            f.write(f"{_timecode(i, motion.fps)},{bs.COUNT}," + ",".join(vals) + "\n")


def write_json(path: Path, motion: Motion, lm68: np.ndarray) -> None:
    doc = {
        "fps": motion.fps,
        "blendshape_names": list(bs.NAMES),
        "pose_names": ["pitch", "yaw", "roll", "tx", "ty", "scale"],
        "units": "angles in radians; lm68, tx, ty in crop pixels; scale in crop px per canonical unit",
        "frames": [
            {
                "t": round(i / motion.fps, 4),
                "blendshapes": np.round(motion.blendshapes[i], 4).tolist(),
                "pose": np.round(motion.pose[i], 5).tolist(),
                "lm68": np.round(lm68[i, :, :2], 2).tolist(),
            }
            for i in range(len(motion))
        ],
    }
    path.write_text(json.dumps(doc))
