"""Identity similarity between the portrait and generated frames: cosine similarity of dlib's 128-d face
descriptors (King, "Dlib-ml", JMLR 2009; ResNet face recognition model from ``face-recognition-models``).
Optional: needs ``dlib-bin`` and ``face-recognition-models`` (its shape predictor is trained on iBUG data,
non-commercial), so emohead does not depend on them; without them the metric is not available.
"""

from __future__ import annotations

import numpy as np


def available() -> bool:
    try:
        import dlib  # noqa: F401
        import face_recognition_models  # noqa: F401
    except ImportError:
        return False
    return True


class IdentityEncoder:
    def __init__(self):
        import dlib
        import face_recognition_models as frm

        self.shape = dlib.shape_predictor(frm.pose_predictor_five_point_model_location())
        self.net = dlib.face_recognition_model_v1(frm.face_recognition_model_location())
        self._dlib = dlib

    def encode(self, frame: np.ndarray, box) -> np.ndarray:
        x0, y0, x1, y1 = (int(v) for v in box)
        shape = self.shape(frame, self._dlib.rectangle(x0, y0, x1, y1))
        return np.array(self.net.compute_face_descriptor(frame, shape))

    def similarity(self, reference: np.ndarray, ref_box, frames: list[np.ndarray], boxes: np.ndarray, every: int = 10) -> float:
        ref = self.encode(reference, ref_box)
        sims = []
        for i in range(0, len(frames), every):
            d = self.encode(frames[i], boxes[i])
            sims.append(float(ref @ d / (np.linalg.norm(ref) * np.linalg.norm(d))))
        return float(np.mean(sims))
