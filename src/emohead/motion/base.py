"""What every motion model consumes and returns.

A motion model turns :class:`MotionInputs` (portrait, audio features, phones, emotion condition)
into a :class:`Motion`: per-frame blendshapes and head pose at 25 fps, from which the face model
gives the 478 mesh and the 68 landmarks. Renderers consume a ``Motion``; they never see the model.
``emohead.analyze`` makes the inputs once; any number of models and emotions can then use them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from emohead import dims
from emohead.audio.features import AudioFeatures
from emohead.emotion.condition import EmotionCondition, EmotionRequest, check_supported, resolve
from emohead.face.ibug68 import to_ibug68
from emohead.face.model import FaceModel
from emohead.face.portrait import Portrait
from emohead.text.align import Phone


@dataclass
class MotionInputs:
    """Everything a motion model reads, each input analysed once.

    portrait: the analysed face; audio: 25 fps features; phones: aligned or recognised phones (None: the
    acoustic fallback); emotion: the resolved condition for every frame; seed: blinks, sway, sampling.
    The rest is context for callers: the request the condition came from (so :meth:`with_emotion` can
    ask for another), the analysed reference portrait, the audio file and its duration, the transcript
    used, notes for the user and seconds per analysis stage; ``speech``: speech features computed from the
    recording on first use (``motion.speech``), shared with every :meth:`with_emotion` copy.
    """

    portrait: Portrait
    audio: AudioFeatures
    phones: list[Phone] | None
    emotion: EmotionCondition = field(default_factory=EmotionCondition)
    seed: int = 0
    request: EmotionRequest = field(default_factory=EmotionRequest)
    reference: Portrait | None = None
    audio_path: Path | None = None
    duration: float = 0.0
    transcript: str | None = None
    notes: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    speech: dict[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    @property
    def n_frames(self) -> int:
        return self.audio.n_frames

    def with_emotion(self, emotion: str | None = None, **request) -> MotionInputs:
        """The same analysed face, audio and text with another emotion request (``EmotionRequest`` fields;
        a reference photo not analysed yet is analysed now). Cheap: nothing else is analysed again."""
        request.setdefault("transition", self.request.transition)
        req = EmotionRequest(emotion=emotion, **request).check()
        reference = self.reference
        if req.kind == "reference" and not isinstance(req.reference, Portrait):
            from emohead.face.analyze import analyze_portrait
            from emohead.face.image import load_image

            image = req.reference if isinstance(req.reference, np.ndarray) else load_image(req.reference, "reference portrait")
            reference = analyze_portrait(image, self.portrait.size, what="reference portrait")
        elif isinstance(req.reference, Portrait):
            reference = req.reference
        notes: list[str] = []
        cond = resolve(req, self.n_frames, reference, notes)
        return dataclasses.replace(self, emotion=cond, request=req, reference=reference, notes=self.notes + notes)


@dataclass
class Motion:
    """Motion of one clip at ``fps``.

    blendshapes: (T, 52) float32 in [0, 1], ARKit names (face.blendshapes.NAMES order);
    pose: (T, 6) float64 [pitch, yaw, roll (rad), tx, ty (crop px), scale (crop px per canonical unit)];
    neutral: (478, 3) the identity's canonical neutral shape; face_model: the model tying them together;
    rest: (52,) the expression the face rests at (the relaxed face an emotion is put on, or the portrait's own):
    departures from it are drawn with the face model's display gain (``FaceModel.display``). None: the basis alone.
    """

    blendshapes: np.ndarray
    pose: np.ndarray
    neutral: np.ndarray
    face_model: FaceModel
    fps: float = float(dims.FPS)
    rest: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.blendshapes)

    def mesh(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        """(n, 478, 3) float32 posed mesh in crop pixels for frames [start, stop)."""
        sl = slice(start, stop)
        return self.face_model.mesh(self.neutral, self.blendshapes[sl], self.pose[sl], self.rest)

    def lm68(self, chunk: int = 2000) -> np.ndarray:
        """(T, 68, 3) float32 iBUG landmarks in crop pixels (computed in chunks: memory stays flat)."""
        return np.concatenate([to_ibug68(self.mesh(i, i + chunk)) for i in range(0, max(len(self), 1), chunk)])[: len(self)]

    def canonical_lm68(self) -> np.ndarray:
        """(T, 68, 3) float32 pose-free iBUG landmarks, canonical units."""
        return to_ibug68(self.face_model.canonical(self.neutral, self.blendshapes, self.rest))

    def resample(self, fps: float) -> Motion:
        """The same motion at ``fps``, for 3D tools that animate at another rate (MEDTalk's rig runs at 60):
        every curve is interpolated at the new frame times (cubic splines; blendshapes clipped to [0, 1]), never
        frames repeated. The duration stays the same."""
        from scipy.interpolate import CubicSpline

        if fps == self.fps or len(self) < 2:
            return dataclasses.replace(self, fps=float(fps))
        t_old = np.arange(len(self)) / self.fps
        t_new = np.arange(int(round(len(self) * fps / self.fps))) / fps  # the last ones lie up to a frame past t_old[-1]
        w = np.clip(CubicSpline(t_old, self.blendshapes, axis=0)(t_new), 0.0, 1.0).astype(np.float32)
        pose = CubicSpline(t_old, self.pose, axis=0)(t_new)
        return dataclasses.replace(self, blendshapes=w, pose=pose, fps=float(fps))

    def trim(self, n: int) -> Motion:
        """The first ``n`` frames."""
        return dataclasses.replace(self, blendshapes=self.blendshapes[:n], pose=self.pose[:n])


class MotionModel:
    """Base class. Subclasses set ``name`` (their registry name) and implement :meth:`_generate`;
    :meth:`generate` first refuses an emotion condition the model's spec does not declare."""

    name = "base"

    @property
    def spec(self):
        from emohead.motion import get_spec

        return get_spec(self.name)

    def check(self, inputs: MotionInputs) -> None:
        """One-line error when ``inputs.emotion`` is a kind this model cannot honour."""
        from emohead.motion import specs

        check_supported(self.name, self.spec.conditions, inputs.emotion.kind, specs().values())

    def generate(self, inputs: MotionInputs) -> Motion:
        self.check(inputs)
        return self._generate(inputs)

    def _generate(self, inputs: MotionInputs) -> Motion:
        raise NotImplementedError

    def save_pretrained(self, directory) -> None:
        """Write what ``load_motion_model(name, weights=directory)`` needs to give the same motion: the network
        (``self.net``), the calibrated mouth and emotion gains beside it when the weights folder (``self.folder``) has them, and
        whatever else a model keeps beside it (override to add it)."""
        import shutil

        from emohead.motion.animate import EMOTION_FILE, MOUTH_FILE

        net = getattr(self, "net", None)
        if net is None:
            raise TypeError(f"{self.name} has nothing learnt to save")
        net.save_pretrained(directory)
        folder = getattr(self, "folder", None)
        for name in (MOUTH_FILE, EMOTION_FILE):
            if folder is not None and (Path(folder) / name).is_file():
                shutil.copyfile(Path(folder) / name, Path(directory) / name)
