"""What every renderer is: bound to one portrait, it turns posed meshes (crop pixels) into frames."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np


class MeshRenderer:
    """Subclasses implement :meth:`render`; :meth:`frames` streams a whole Motion a chunk of meshes at a time."""

    name = "base"

    def render(self, mesh: np.ndarray, blendshapes: np.ndarray | None = None) -> np.ndarray:
        """mesh: (478, >=2) crop pixels -> (S, S, 3) uint8 frame. blendshapes: the frame's (52,) curves, for the
        expression cues a mesh alone cannot show (``render.cues``); None renders the geometry only."""
        raise NotImplementedError

    def frames(self, motion, chunk: int = 250) -> Iterator[np.ndarray]:
        for i in range(0, len(motion), chunk):
            for mesh, w in zip(motion.mesh(i, i + chunk), motion.blendshapes[i : i + chunk]):
                yield self.render(mesh, w)
