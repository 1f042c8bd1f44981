"""A contact sheet: the same frames of one clip rendered with different emotions, one row each,
so a person can check emotion and lip sync at a glance."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def _face_zoom(frame: np.ndarray, keep: float = 0.7) -> np.ndarray:
    """The central part of the crop (the face), scaled back to the tile size."""
    import cv2

    size = frame.shape[0]
    m = int(size * (1 - keep) / 2)
    return cv2.resize(frame[m : size - m, m : size - m], (size, size), interpolation=cv2.INTER_CUBIC)


def contact_sheet(
    portrait, audio, transcript: str | None, path: Path, emotions, size: int = 256, columns: int = 6, seed: int = 0
) -> np.ndarray:
    """Render ``columns`` frames (spread over the clip, mouth-open frames preferred) per emotion; write a PNG."""
    import cv2

    import emohead
    from emohead.face.ibug68 import mouth_opening
    from emohead.outputs import atomic_path, check_writable
    from emohead.render.warp import WarpRenderer

    path = check_writable(path, "contact sheet")
    rows, picks = [], None
    for emotion in emotions:
        result = emohead.generate(portrait, audio, transcript=transcript, emotion=emotion, size=size, seed=seed)
        if picks is None:  # the most open frame in each of `columns` equal slices of the clip
            opening = mouth_opening(result.lm68)
            edges = np.linspace(0, len(opening), columns + 1).astype(int)
            picks = [a + int(np.argmax(opening[a:b])) for a, b in zip(edges[:-1], edges[1:])]
        renderer = WarpRenderer(result.portrait)
        tiles = [_face_zoom(renderer.render(result.motion.mesh(i, i + 1)[0])) for i in picks]
        row = np.concatenate(tiles, axis=1)
        cv2.putText(row, emotion, (8, 28), cv2.FONT_HERSHEY_SIMPLEX, 0.8 * size / 256, (255, 255, 255), 3, cv2.LINE_AA)
        cv2.putText(row, emotion, (8, 28), cv2.FONT_HERSHEY_SIMPLEX, 0.8 * size / 256, (20, 20, 20), 1, cv2.LINE_AA)
        rows.append(row)
    sheet = np.concatenate(rows, axis=0)
    with atomic_path(path) as tmp:
        if not cv2.imwrite(
            str(tmp.with_suffix(".png")) if tmp.suffix.lower() != ".png" else str(tmp), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR)
        ):
            raise OSError(f"could not write {path}")
        if tmp.suffix.lower() != ".png":
            tmp.with_suffix(".png").replace(tmp)
    return sheet
