"""The iBUG-300W 68-point layout as a fixed subset of MediaPipe's 478-point mesh.

Index ``k`` of :data:`MESH_TO_IBUG68` is the mesh vertex used for iBUG point ``k``
(0-16 jaw from the subject's right to left, 17-26 brows, 27-35 nose, 36-47 eyes, 48-59 outer lips,
60-67 inner lips). MediaPipe has no vertex on the exact iBUG jaw contour near the ears, so points
0-3 and 13-16 sit on the nearest face-oval vertices; all inner-face points are close matches.
dlib's 68-point predictor remains the reference for metric parity (see the eval issue).
"""

from __future__ import annotations

import numpy as np

MESH_TO_IBUG68 = np.array(
    [
        162,
        234,
        93,
        58,
        172,
        136,
        149,
        148,
        152,
        377,
        378,
        365,
        397,
        288,
        323,
        454,
        389,  # jaw
        71,
        63,
        105,
        66,
        107,  # right brow
        336,
        296,
        334,
        293,
        301,  # left brow
        168,
        197,
        5,
        4,  # nose bridge
        75,
        97,
        2,
        326,
        305,  # nostrils
        33,
        160,
        158,
        133,
        153,
        144,  # right eye
        362,
        385,
        387,
        263,
        373,
        380,  # left eye
        61,
        39,
        37,
        0,
        267,
        269,
        291,
        405,
        314,
        17,
        84,
        181,  # outer lips
        78,
        82,
        13,
        312,
        308,
        317,
        14,
        87,  # inner lips
    ],
    dtype=np.int64,
)
assert MESH_TO_IBUG68.shape == (68,)

MOUTH = np.arange(48, 68)  # the 20 mouth points (M-LD / L-LD)
INNER_LIP_PAIRS = np.array([[61, 67], [62, 66], [63, 65]])  # upper, lower inner-lip points
OUTER_EYE_CORNERS = (36, 45)


def to_ibug68(mesh: np.ndarray) -> np.ndarray:
    """(..., 478, C) mesh -> (..., 68, C) iBUG landmarks."""
    return mesh[..., MESH_TO_IBUG68, :]


def face_boxes(lm68: np.ndarray) -> np.ndarray:
    """(N, 68, >=2) landmarks -> (N, 4) boxes [x0, y0, x1, y1] around each frame's landmarks."""
    return np.concatenate([lm68[..., :2].min(1), lm68[..., :2].max(1)], axis=1)


def mouth_opening(lm68: np.ndarray) -> np.ndarray:
    """Inner-lip distance per frame, divided by the outer-eye-corner distance.

    lm68: (..., 68, 2 or 3). Returns (...,) float: 0 for closed lips, about 0.3-0.5 wide open.
    """
    upper = lm68[..., INNER_LIP_PAIRS[:, 0], :2]
    lower = lm68[..., INNER_LIP_PAIRS[:, 1], :2]
    gap = np.linalg.norm(lower - upper, axis=-1).mean(axis=-1)
    eyes = np.linalg.norm(lm68[..., OUTER_EYE_CORNERS[1], :2] - lm68[..., OUTER_EYE_CORNERS[0], :2], axis=-1)
    return gap / np.maximum(eyes, 1e-6)
