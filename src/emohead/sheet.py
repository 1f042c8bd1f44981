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
    portrait,
    audio,
    transcript: str | None,
    path: Path,
    emotions,
    size: int = 256,
    columns: int = 6,
    seed: int = 0,
    model: str = "analytic",
    inputs=None,
) -> np.ndarray:
    """Render ``columns`` frames (spread over the clip, mouth-open frames preferred) per emotion; write a PNG.
    The portrait, audio and transcript are analysed once (or pass ``inputs`` from ``emohead.analyze``);
    each emotion only re-runs the motion model and renders the picked frames."""
    import emohead
    from emohead.outputs import check_writable

    path = check_writable(path, "contact sheet")
    inputs = inputs or emohead.analyze(portrait, audio, transcript=transcript, size=size, seed=seed)
    rows = [np.concatenate(tiles, axis=1) for tiles in _emotion_tiles(inputs, emotions, columns, model)]
    sheet = np.concatenate(rows, axis=0)
    _write_png(sheet, path)
    return sheet


def preview_strip(inputs, path: Path, emotions, model: str = "analytic") -> np.ndarray:
    """One mouth-open frame of the analysed clip in each emotion, side by side (the server's quick preview)."""
    strip = np.concatenate([tiles[0] for tiles in _emotion_tiles(inputs, emotions, 1, model)], axis=1)
    _write_png(strip, path)
    return strip


def _emotion_tiles(inputs, emotions, columns: int, model: str) -> list[list[np.ndarray]]:
    """For each emotion, ``columns`` rendered face tiles at the same frames (the most open mouth in each of
    ``columns`` equal slices of the clip), the first captioned with the emotion."""
    import cv2

    import emohead
    from emohead.face.ibug68 import mouth_opening
    from emohead.render.warp import WarpRenderer

    motion_model = emohead.load_motion_model(model)
    renderer = WarpRenderer(inputs.portrait)
    size = inputs.portrait.size
    out, picks = [], None
    for emotion in emotions:
        motion = motion_model.generate(inputs.with_emotion(emotion))
        if picks is None:
            opening = mouth_opening(motion.lm68())
            edges = np.linspace(0, len(opening), columns + 1).astype(int)
            picks = [a + int(np.argmax(opening[a:b])) for a, b in zip(edges[:-1], edges[1:])]
        tiles = [_face_zoom(renderer.render(motion.mesh(i, i + 1)[0], motion.blendshapes[i])) for i in picks]  # as the video draws it
        for colour, width in (((255, 255, 255), 3), ((20, 20, 20), 1)):
            cv2.putText(tiles[0], emotion, (8, 28), cv2.FONT_HERSHEY_SIMPLEX, 0.8 * size / 256, colour, width, cv2.LINE_AA)
        out.append(tiles)
    return out


def _write_png(image: np.ndarray, path: Path) -> None:
    import cv2

    from emohead.outputs import atomic_path

    with atomic_path(Path(path)) as tmp:
        ok, png = cv2.imencode(".png", cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
        if not ok:
            raise OSError(f"could not encode {path}")
        tmp.write_bytes(png.tobytes())
