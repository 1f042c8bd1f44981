"""mul2lm as a motion model: audio + transcript + emotional portrait -> landmarks -> blendshapes.

The emotional portrait is the identity's own face with the requested emotion (a label, timeline or
intensity curve through the calibrated prototypes, or a reference photo's expression), per frame, as
the paper feeds E_emo; without a request it is the identity's own face. The network runs on the 50-frame
windows it trained on, cross-faded, as EAPC does on its 25.
"""

from __future__ import annotations

import numpy as np

from emohead import dims
from emohead.motion.base import MotionInputs
from emohead.motion.landmarks import LandmarkMotionModel, cross_faded, emotional_landmarks, reference_face


class Mul2LmMotionModel(LandmarkMotionModel):
    name = "mul2lm"
    # The 50-frame windows it trained on, cross-faded over 10 frames. Its transformer attends over every frame it
    # is given, without positions: a whole 10 s clip pooled 5 times the context it learnt, and an hour would not
    # fit in memory. On the held-back clips, lip sync r 0.530 whole -> 0.558 windowed.
    window, overlap = 50, 10

    def predict(self, inputs: MotionInputs) -> np.ndarray:
        import torch

        from emohead.text.features import text_features

        p, n = inputs.portrait, inputs.n_frames
        p_id = reference_face(inputs)
        offset = inputs.emotion.offset(n)
        p_emo = np.repeat(p_id[None], n, 0) if offset is None else emotional_landmarks(p.face_model, p.neutral, offset)
        mfcc, text = inputs.audio.mfcc, text_features(inputs.phones or [], n)
        ident, emo = torch.from_numpy(p_id.reshape(1, -1)), p_emo.reshape(n, -1).astype(np.float32)

        def window(s: int, e: int) -> np.ndarray:
            q = self.net(torch.from_numpy(mfcc[None, s:e]), torch.from_numpy(text[None, s:e]), ident, torch.from_numpy(emo[None, s:e]))
            return q[0].numpy()

        return cross_faded(window, n, self.window, self.overlap).reshape(n, dims.N_LM68, 3)
