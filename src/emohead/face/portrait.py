"""A portrait ready to animate: the result of face analysis, free of any MediaPipe code.

Made by ``face.analyze.analyze_portrait`` (or ``emohead.analyze``); read by every motion model and renderer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from emohead.face.model import FaceModel


@dataclass
class Portrait:
    """A portrait ready to animate. All geometry is in pixels of ``crop`` unless named otherwise.

    image: (H, W, 3) uint8, the original photo (EXIF-rotated); crop: (S, S, 3) uint8;
    crop_matrix: (2, 3) original pixels -> crop pixels; mesh: (478, 3); lm68: (68, 3);
    blendshapes: (52,) in [0, 1]; pose: (6,) (see face.geometry); canonical: (478, 3) pose-free mesh;
    neutral: (478, 3) canonical mesh with the portrait's own expression removed by ``face_model``.
    """

    image: np.ndarray
    crop: np.ndarray
    crop_matrix: np.ndarray
    mesh: np.ndarray
    lm68: np.ndarray
    blendshapes: np.ndarray
    pose: np.ndarray
    canonical: np.ndarray
    neutral: np.ndarray
    face_model: FaceModel
    notes: list[str] = field(default_factory=list)

    @property
    def size(self) -> int:
        return self.crop.shape[0]
