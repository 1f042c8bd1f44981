"""EAPC as a motion model: 25-frame windows cross-faded over 5 frames -> 2D landmarks -> blendshapes.

Emotion comes from the voice (the LLF encoder) unless a label, timeline or intensity curve gives the
per-frame emotion probabilities instead, as the paper's user control does.
"""

from __future__ import annotations

import numpy as np

from emohead import dims
from emohead.motion.base import MotionInputs
from emohead.motion.landmarks import LandmarkMotionModel, cross_faded, reference_face
from emohead.motion.speech import speech_frames


class EapcMotionModel(LandmarkMotionModel):
    name = "eapc"
    window, overlap = 25, 5

    def predict(self, inputs: MotionInputs) -> np.ndarray:
        import torch

        n = inputs.n_frames
        ref = torch.from_numpy(reference_face(inputs)[:, :2].reshape(1, -1).astype(np.float32))
        speech, llf = speech_frames(self.net.speech, inputs, raw_mfcc=True).astype(np.float32), inputs.audio.llf
        label = inputs.emotion.weights

        def window(s: int, e: int) -> np.ndarray:
            emo = None if label is None else torch.from_numpy(np.clip(label[s:e], 0, None)[None].astype(np.float32))
            pred, _ = self.net(torch.from_numpy(speech[None, s:e]), torch.from_numpy(llf[None, s:e]), ref, emo)
            return pred[0].numpy()

        return cross_faded(window, n, self.window, self.overlap).reshape(n, dims.N_LM68, 2)
