"""What every motion model consumes and returns.

A motion model turns :class:`MotionInputs` (portrait, audio features, phones, emotion condition)
into a :class:`Motion`: per-frame blendshapes and head pose at 25 fps, from which the face model
gives the 478 mesh and the 68 landmarks. Renderers consume a ``Motion``; they never see the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from emohead.audio.features import AudioFeatures
from emohead.emotion.vocabulary import EMOTIONS
from emohead.face.analyze import Portrait
from emohead.face.ibug68 import to_ibug68
from emohead.face.model import FaceModel
from emohead.text.align import Phone


@dataclass
class EmotionCondition:
    """How emotion is asked for. Exactly one of these is in effect:

    weights: (T, 8) per-frame intensities in EMOTIONS order (a label or a timeline);
    reference: (52,) blendshape offset read from an emotional reference portrait;
    neither: keep the portrait's own expression.
    """

    weights: np.ndarray | None = None
    reference: np.ndarray | None = None

    @property
    def dominant(self) -> str | None:
        if self.weights is None:
            return None
        return EMOTIONS[int(np.argmax(self.weights.sum(0)))]


@dataclass
class MotionInputs:
    portrait: Portrait
    audio: AudioFeatures
    phones: list[Phone] | None
    emotion: EmotionCondition = field(default_factory=EmotionCondition)
    seed: int = 0

    @property
    def n_frames(self) -> int:
        return self.audio.n_frames


@dataclass
class Motion:
    """Motion of one clip at ``fps``.

    blendshapes: (T, 52) float32 in [0, 1], ARKit names (face.blendshapes.NAMES order);
    pose: (T, 6) float64 [pitch, yaw, roll (rad), tx, ty (crop px), scale (crop px per canonical unit)];
    neutral: (478, 3) the identity's canonical neutral shape; face_model: the model tying them together.
    """

    blendshapes: np.ndarray
    pose: np.ndarray
    neutral: np.ndarray
    face_model: FaceModel
    fps: float = 25.0

    def __len__(self) -> int:
        return len(self.blendshapes)

    def mesh(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        """(n, 478, 3) float32 posed mesh in crop pixels for frames [start, stop)."""
        sl = slice(start, stop)
        return self.face_model.mesh(self.neutral, self.blendshapes[sl], self.pose[sl])

    def lm68(self, chunk: int = 2000) -> np.ndarray:
        """(T, 68, 3) float32 iBUG landmarks in crop pixels (computed in chunks: memory stays flat)."""
        return np.concatenate([to_ibug68(self.mesh(i, i + chunk)) for i in range(0, max(len(self), 1), chunk)])[: len(self)]


class MotionModel:
    """Base class: subclasses set ``name`` and implement :meth:`generate`."""

    name = "base"

    def generate(self, inputs: MotionInputs) -> Motion:
        raise NotImplementedError
