"""The base of landmark-space motion models (mul2lm, EAPC): network -> 68 landmarks -> blendshapes.

The network predicts canonical 68 landmarks; ``FaceModel.fit_blendshapes`` turns them into the 52
blendshape curves that drive the face model, the mesh and the renderers, so every motion model returns
the same ``Motion``. Head pose and blinks, which neither paper predicts, come from ``motion.animate``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from emohead import dims
from emohead.emotion.prototypes import EXPRESSIVE, load_prototypes
from emohead.face import blendshapes as bs
from emohead.face.ibug68 import to_ibug68
from emohead.motion.animate import add_blinks, mouth_gain, scaled_head_motion, widen_mouth
from emohead.motion.base import Motion, MotionInputs, MotionModel

BLINK_WINDOW = dims.FPS  # frames: longer than a blink (0.1-0.4 s), shorter than an emotion's change


def emotional_landmarks(face_model, neutral: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """The identity's face at rest (the relaxed baseline) plus a blendshape offset: (T, 68, 3) canonical.
    offset: (T, 52), an emotion condition's ``offset`` (a label, timeline, curve or reference portrait)."""
    protos = load_prototypes()
    w = np.zeros((len(offset), bs.COUNT), np.float32)
    w[:, bs.indices(EXPRESSIVE)] = protos.baseline[bs.indices(EXPRESSIVE)]
    return to_ibug68(face_model.canonical(neutral, np.clip(w + offset, 0, 1)))


class LandmarkMotionModel(MotionModel):
    """Base: loads its spec's network (bundled weights unless ``weights`` names a folder); subclasses implement
    :meth:`predict` -> (T, 68, 2 or 3) canonical landmarks."""

    def __init__(self, weights: str | Path | None = None, head_motion: float = 1.0, blinks: bool = True):
        from emohead.weights import resolve_weights

        spec = self.spec
        self.folder = Path(resolve_weights(weights or spec.weights_location, f"{spec.name} weights"))
        self.net = spec.load(spec.network).from_pretrained(self.folder)
        self.head_motion_scale, self.blinks = head_motion, blinks
        self.mouth_gain = mouth_gain(self.folder)  # scripts/calibrate_mouth.py --write: a regression narrows the opening

    def predict(self, inputs: MotionInputs) -> np.ndarray:
        raise NotImplementedError

    def _generate(self, inputs: MotionInputs) -> Motion:
        from scipy.ndimage import median_filter

        from emohead.nn.base import quiet_inference

        portrait, fps = inputs.portrait, float(dims.FPS)
        rng = np.random.default_rng(inputs.seed)
        with quiet_inference():
            lm = self.predict(inputs)
        w = widen_mouth(portrait.face_model.fit_blendshapes(portrait.neutral, lm), self.mouth_gain)
        np.clip(w, 0.0, 1.0, out=w)
        # Blinks come from ``add_blinks``. The networks also learnt their training speakers' blinks, at fixed
        # places in the speech, which (fitted within bounds) shut the eyes fully on top of the seeded ones; a
        # one-second running median keeps the lids' sustained position (an emotion's) and drops those closures.
        blink = bs.indices(("eyeBlinkLeft", "eyeBlinkRight"))
        w[:, blink] = median_filter(w[:, blink], size=(BLINK_WINDOW, 1), mode="nearest")
        gaze = bs.indices(bs.GAZE_CHANNELS)
        w[:, gaze] = portrait.blendshapes[gaze]
        if self.blinks:
            add_blinks(w, fps, rng)
        pose = scaled_head_motion(inputs, self.head_motion_scale, fps, rng)
        # what the display gain measures departures from: the relaxed face a requested emotion is put on (the
        # synthetic rows taught the network relaxed face + emotion), else the portrait's own face
        rest = portrait.blendshapes.copy()
        if inputs.emotion.kind not in (None, "voice"):
            rest[bs.indices(EXPRESSIVE)] = load_prototypes().baseline[bs.indices(EXPRESSIVE)]
        return Motion(blendshapes=w, pose=pose, neutral=portrait.neutral, face_model=portrait.face_model, fps=fps, rest=rest)
