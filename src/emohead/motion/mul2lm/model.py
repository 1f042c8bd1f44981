"""mul2lm as a motion model: audio + transcript + emotional portrait -> landmarks -> blendshapes.

The emotional portrait is the identity's own face with the requested emotion (a label, timeline or
intensity curve through the calibrated prototypes, or a reference photo's expression), per frame, as
the paper feeds E_emo; without a request it is the identity's own face.
"""

from __future__ import annotations

import numpy as np

from emohead import dims
from emohead.face.ibug68 import to_ibug68
from emohead.motion.base import MotionInputs
from emohead.motion.landmarks import LandmarkMotionModel, emotional_landmarks


class Mul2LmMotionModel(LandmarkMotionModel):
    name = "mul2lm"

    def predict(self, inputs: MotionInputs) -> np.ndarray:
        import torch

        from emohead.text.features import text_features

        p, n = inputs.portrait, inputs.n_frames
        p_id = to_ibug68(p.canonical)
        offset = inputs.emotion.offset(n)
        p_emo = np.repeat(p_id[None], n, 0) if offset is None else emotional_landmarks(p.face_model, p.neutral, offset)
        mfcc = torch.from_numpy(inputs.audio.mfcc[None])
        text = torch.from_numpy(text_features(inputs.phones or [], n)[None])
        q = self.net(mfcc, text, torch.from_numpy(p_id.reshape(1, -1)), torch.from_numpy(p_emo.reshape(1, n, -1).astype(np.float32)))
        return q[0].numpy().reshape(n, dims.N_LM68, 3)
