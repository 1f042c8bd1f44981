"""The warp renderer: a dense piecewise-affine warp of the portrait driven by the mesh.

Triangles: MediaPipe's face tessellation, strips closing the eye and mouth openings, and a ring
joining the face oval to fixed anchors on the crop border (so the background and the crop edge
never move). Per frame: rasterise the target triangles into an index map, look up each pixel's
inverse affine, ``cv2.remap`` the portrait, then paint the mouth interior where the lips part.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from emohead.face.ibug68 import to_ibug68
from emohead.face.portrait import Portrait
from emohead.render.base import MeshRenderer
from emohead.render.cues import draw_cues
from emohead.render.mouth import LOWER_INNER, UPPER_INNER, draw_mouth

EYE_STRIPS = (
    ([33, 246, 161, 160, 159, 158, 157, 173, 133], [33, 7, 163, 144, 145, 153, 154, 155, 133]),
    ([263, 466, 388, 387, 386, 385, 384, 398, 362], [263, 249, 390, 373, 374, 380, 381, 382, 362]),
)
FACE_OVAL = [
    10,
    338,
    297,
    332,
    284,
    251,
    389,
    356,
    454,
    323,
    361,
    288,
    397,
    365,
    379,
    378,
    400,
    377,
    152,
    148,
    176,
    149,
    150,
    136,
    172,
    58,
    132,
    93,
    234,
    127,
    162,
    21,
    54,
    103,
    67,
    109,
]
N_FACE = 468  # the iris points (468-477) are not part of the surface
ANCHORS_PER_SIDE = 8


def _strip(upper: list[int], lower: list[int]) -> list[tuple[int, int, int]]:
    """Triangles between two vertex chains that share their end points."""
    out = []
    for i in range(len(upper) - 1):
        a, b, c, d = upper[i], upper[i + 1], lower[i + 1], lower[i]
        for tri in ((a, b, c), (a, c, d)):
            if len(set(tri)) == 3:
                out.append(tri)
    return out


@lru_cache(maxsize=1)
def face_triangles() -> np.ndarray:
    """(F, 3) triangles over the 468 surface vertices, eye and mouth openings closed."""
    from mediapipe.tasks.python.vision import FaceLandmarksConnections as C

    e = C.FACE_LANDMARKS_TESSELATION
    tris = [(e[i].start, e[i + 1].start, e[i + 2].start) for i in range(0, len(e), 3)]
    for up, lo in EYE_STRIPS + ((UPPER_INNER, LOWER_INNER),):
        tris += _strip(up, lo)
    return np.array(tris, dtype=np.int32)


def border_anchors(size: int) -> np.ndarray:
    """(4 * ANCHORS_PER_SIDE, 2) fixed points around the crop border."""
    s = np.linspace(0, size - 1, ANCHORS_PER_SIDE + 1)[:-1]
    e = np.full_like(s, size - 1.0)
    z = np.zeros_like(s)
    return np.concatenate([np.stack(p, 1) for p in ((s, z), (e, s), (e[::-1] - s, e), (z, e[::-1] - s))])


def ring_triangles(points: np.ndarray, anchors_start: int) -> np.ndarray:
    """Delaunay triangles joining the face oval to the border anchors (outside the oval only)."""
    import cv2
    from scipy.spatial import Delaunay

    idx = np.array(FACE_OVAL + list(range(anchors_start, len(points))))
    tri = idx[Delaunay(points[idx]).simplices]
    oval = points[FACE_OVAL].astype(np.float32)
    keep = [cv2.pointPolygonTest(oval, tuple(map(float, points[t].mean(0))), False) < 0 for t in tri]
    return tri[np.array(keep)]


class WarpRenderer(MeshRenderer):
    """Render frames of one portrait from posed meshes (crop pixels)."""

    name = "warp"

    def __init__(self, portrait: Portrait):
        self.portrait = portrait
        size = portrait.size
        self.size = size
        self.anchors = border_anchors(size)
        src = np.concatenate([portrait.mesh[:N_FACE, :2], self.anchors]).astype(np.float64)
        self.triangles = np.concatenate([face_triangles(), ring_triangles(src, N_FACE)])
        self.src = src
        # each triangle's source box, one pixel wider: a pixel rasterised into a squeezed triangle can lie outside it,
        # and the triangle's affine, extrapolated there, reaches far across the crop (background specks by the nose)
        tri_src = src[self.triangles]
        self._src_lo = (tri_src.min(1) - 1.0).astype(np.float32)
        self._src_hi = (tri_src.max(1) + 1.0).astype(np.float32)
        self._index = np.empty((size, size), np.int32)
        ys, xs = np.mgrid[0:size, 0:size].astype(np.float32)
        self._xs, self._ys = xs, ys

    def _inverse_affines(self, dst: np.ndarray) -> np.ndarray:
        """(F, 2, 3): for each triangle, the affine taking target pixels to source pixels."""
        d = dst[self.triangles]  # (F, 3, 2)
        s = self.src[self.triangles]
        dh = np.concatenate([d, np.ones((len(d), 3, 1))], axis=2)  # (F, 3, 3)
        det = np.linalg.det(dh)
        bad = np.abs(det) < 1e-9
        dh[bad] += np.eye(3) * 1e-6  # degenerate (collapsed) triangles: any finite map will do
        return np.linalg.solve(dh, s).transpose(0, 2, 1)

    def render(self, mesh: np.ndarray, blendshapes: np.ndarray | None = None) -> np.ndarray:
        """mesh: (478, >=2) crop pixels -> (S, S, 3) uint8 frame; with ``blendshapes``, plus the expression cues."""
        import cv2

        dst = np.concatenate([mesh[:N_FACE, :2].astype(np.float64), self.anchors])
        index = self._index
        index.fill(-1)
        pts = np.round(dst[self.triangles] * 16).astype(np.int32)
        for k in range(len(pts)):
            cv2.fillConvexPoly(index, pts[k], k, lineType=cv2.LINE_8, shift=4)
        aff = self._inverse_affines(dst).astype(np.float32)
        missing = index < 0
        index[missing] = 0
        a = aff[index]  # (S, S, 2, 3)
        map_x = a[..., 0, 0] * self._xs + a[..., 0, 1] * self._ys + a[..., 0, 2]
        map_y = a[..., 1, 0] * self._xs + a[..., 1, 1] * self._ys + a[..., 1, 2]
        # a pixel up to a pixel outside its triangle maps at most |A| pixels outside the source triangle: where the
        # inverse stretches by more than 2 (a squeezed triangle), hold its pixels to the triangle's source box
        squeezed = np.abs(aff[:, :, :2]).sum(2).max(1) > 2.0
        at = np.flatnonzero(squeezed[index] & ~missing)
        k = index.ravel()[at]
        for m, axis in ((map_x, 0), (map_y, 1)):
            m.ravel()[at] = np.clip(m.ravel()[at], self._src_lo[k, axis], self._src_hi[k, axis])
        map_x[missing] = self._xs[missing]
        map_y[missing] = self._ys[missing]
        frame = cv2.remap(self.portrait.crop, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        draw_mouth(frame, mesh)
        if blendshapes is not None:
            frame = draw_cues(frame, to_ibug68(mesh), blendshapes, self.portrait.blendshapes)
        return frame
