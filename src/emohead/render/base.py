"""What every renderer is: bound to one portrait, it turns posed meshes (crop pixels) into frames."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np


class MeshRenderer:
    """Subclasses implement :meth:`render`; :meth:`frames` streams a whole Motion a chunk of meshes at a time."""

    name = "base"

    def render(self, mesh: np.ndarray) -> np.ndarray:
        """mesh: (478, >=2) crop pixels -> (S, S, 3) uint8 frame."""
        raise NotImplementedError

    def frames(self, motion, chunk: int = 250) -> Iterator[np.ndarray]:
        for i in range(0, len(motion), chunk):
            for mesh in motion.mesh(i, i + chunk):
                yield self.render(mesh)
