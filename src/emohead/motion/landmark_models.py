"""Inference wrappers that make landmark-space networks (mul2lm, EAPC) into motion models.

The network predicts canonical 68 landmarks; ``FaceModel.fit_blendshapes`` turns them into the 52
blendshape curves that drive the face model, the mesh and the renderers, so every motion model returns
the same ``Motion``. Head pose and blinks, which neither paper predicts, come from the analytic model.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from emohead.emotion.prototypes import EXPRESSIVE, load_prototypes
from emohead.face import blendshapes as bs
from emohead.face.ibug68 import to_ibug68
from emohead.motion.analytic import add_blinks, scaled_head_motion
from emohead.motion.base import Motion, MotionInputs, MotionModel


def emotional_landmarks(face_model, neutral: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """The identity's face at rest (the relaxed baseline) plus a blendshape offset: (T, 68, 3) canonical.
    offset: (T, 52), from emotion weights (``weights @ prototypes.matrix``) or a reference portrait."""
    protos = load_prototypes()
    w = np.zeros((len(offset), bs.COUNT), np.float32)
    w[:, bs.indices(EXPRESSIVE)] = protos.baseline[bs.indices(EXPRESSIVE)]
    return to_ibug68(face_model.canonical(neutral, np.clip(w + offset, 0, 1)))


class LandmarkMotionModel(MotionModel):
    """Base: subclasses load ``network_class`` and implement :meth:`predict` -> (T, 68, 2 or 3) canonical."""

    network_class = None
    default_weights = None

    def __init__(self, weights: str | Path | None = None, head_motion: float = 1.0, blinks: bool = True):
        self.net = self.network_class.from_pretrained(weights or self.default_weights)
        self.head_motion_scale, self.blinks = head_motion, blinks

    def predict(self, inputs: MotionInputs) -> np.ndarray:
        raise NotImplementedError

    def generate(self, inputs: MotionInputs) -> Motion:
        from emohead.nn.base import quiet_inference

        portrait, fps = inputs.portrait, 25.0
        rng = np.random.default_rng(inputs.seed)
        with quiet_inference():
            lm = self.predict(inputs)
        w = portrait.face_model.fit_blendshapes(portrait.neutral, lm)
        gaze = bs.indices(bs.GAZE_CHANNELS)
        w[:, gaze] = portrait.blendshapes[gaze]
        if self.blinks:
            add_blinks(w, fps, rng)
        pose = scaled_head_motion(inputs, self.head_motion_scale, fps, rng)
        return Motion(blendshapes=w, pose=pose, neutral=portrait.neutral, face_model=portrait.face_model, fps=fps)


class Mul2LmMotionModel(LandmarkMotionModel):
    """mul2lm: audio + transcript + emotional portrait -> landmarks (``motion.mul2lm``)."""

    name = "mul2lm"
    default_weights = "mul2lm"

    @property
    def network_class(self):
        from emohead.motion.mul2lm import Mul2Lm

        return Mul2Lm

    def predict(self, inputs: MotionInputs) -> np.ndarray:
        import torch

        from emohead.text.features import text_features

        p, n = inputs.portrait, inputs.n_frames
        p_id = to_ibug68(p.canonical)
        if inputs.emotion.reference is not None:
            p_emo = emotional_landmarks(p.face_model, p.neutral, np.repeat(inputs.emotion.reference[None], n, 0))
        elif inputs.emotion.weights is not None:
            p_emo = emotional_landmarks(p.face_model, p.neutral, inputs.emotion.weights @ load_prototypes().matrix)
        else:
            p_emo = np.repeat(p_id[None], n, 0)
        mfcc = torch.from_numpy(inputs.audio.mfcc[None])
        text = torch.from_numpy(text_features(inputs.phones or [], n)[None])
        q = self.net(mfcc, text, torch.from_numpy(p_id.reshape(1, -1)), torch.from_numpy(p_emo.reshape(1, n, -1).astype(np.float32)))
        return q[0].numpy().reshape(n, 68, 3)


class EapcMotionModel(LandmarkMotionModel):
    """EAPC: Dual-LSTM with emotion read from the voice (``motion.eapc``); a label overrides the voice."""

    name = "eapc"
    default_weights = "eapc"
    window, overlap = 25, 5

    @property
    def network_class(self):
        from emohead.motion.eapc import EAPC

        return EAPC

    def predict(self, inputs: MotionInputs) -> np.ndarray:
        import torch

        n = inputs.n_frames
        ref = torch.from_numpy(to_ibug68(inputs.portrait.canonical)[:, :2].reshape(1, -1))
        mw, llf = inputs.audio.mfcc_window, inputs.audio.llf
        label = inputs.emotion.weights
        out = np.zeros((n, 136), np.float32)
        weight = np.zeros(n, np.float32)
        step = self.window - self.overlap
        for s in range(0, max(n - self.overlap, 1), step):  # 25-frame windows as trained, cross-faded over 5 frames
            e = min(s + self.window, n)
            emo = None if label is None else torch.from_numpy(np.clip(label[s:e], 0, None)[None].astype(np.float32))
            pred, _ = self.net(torch.from_numpy(mw[None, s:e]), torch.from_numpy(llf[None, s:e]), ref, emo)
            ramp = np.minimum(1.0, np.minimum(np.arange(1, e - s + 1), np.arange(e - s, 0, -1)) / (self.overlap + 1))
            ramp = np.where((np.arange(s, e) < self.overlap) | (np.arange(s, e) >= n - self.overlap), 1.0, ramp)
            out[s:e] += pred[0].numpy() * ramp[:, None]
            weight[s:e] += ramp
        return (out / np.maximum(weight, 1e-6)[:, None]).reshape(n, 68, 2)
