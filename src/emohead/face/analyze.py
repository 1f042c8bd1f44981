"""Face analysis of a portrait: detection, the 478 mesh, iBUG-68, 52 blendshapes, pose and the crop.

MediaPipe FaceLandmarker (bundled ``face_landmarker_v2_with_blendshapes.task``, Apache-2.0) does the
work; YuNet (bundled, Apache-2.0) finds faces MediaPipe's short-range detector misses (small faces in
large photos), which are then cropped and landmarked.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass

import numpy as np

from emohead import dims
from emohead.errors import EmoheadError
from emohead.face import blendshapes as bs
from emohead.face.ibug68 import to_ibug68
from emohead.face.model import FaceModel, canonicalize
from emohead.face.portrait import Portrait
from emohead.limits import MIN_FACE_PX

CROP_SCALE = 1.75  # crop side / face-mesh height: hair, ears and chin with room for head motion


@contextlib.contextmanager
def _quiet_native_logs():
    """MediaPipe's C++ logs go straight to fd 2; keep the terminal for our own messages."""
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _ignore_stray_sigprof() -> None:
    """MediaPipe's native graph arms SIGPROF profiling timers (seen with strace: timer_create + setitimer
    every 10 ms). A tick that lands after its handler is gone would kill the process with the default
    action ("Profiling timer expired"), so a process that uses MediaPipe ignores SIGPROF unless someone
    (a real profiler) handles it. Only the main thread may set handlers."""
    import signal
    import threading

    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGPROF) == signal.SIG_DFL:
        signal.signal(signal.SIGPROF, signal.SIG_IGN)


@dataclass
class FaceObservation:
    """One face seen by MediaPipe. points: (478, 3) pixels of the analysed image; blendshapes: (52,)."""

    points: np.ndarray
    blendshapes: np.ndarray

    @property
    def box(self) -> np.ndarray:
        """[x0, y0, x1, y1] of the mesh in pixels."""
        return np.concatenate([self.points[:, :2].min(0), self.points[:, :2].max(0)])

    @property
    def height(self) -> float:
        return float(self.box[3] - self.box[1])


class FaceLandmarker:
    """MediaPipe FaceLandmarker for still images (``mode="image"``) or frame sequences (``mode="video"``).

    Use as a context manager, or call :meth:`close`.
    """

    def __init__(self, mode: str = "image", max_faces: int = 5):
        from emohead.assets import asset_path

        _ignore_stray_sigprof()
        with _quiet_native_logs():
            import mediapipe as mp
            from mediapipe.tasks.python import BaseOptions, vision

            running = vision.RunningMode.VIDEO if mode == "video" else vision.RunningMode.IMAGE
            options = vision.FaceLandmarkerOptions(
                base_options=BaseOptions(model_asset_path=str(asset_path("face_landmarker_v2_with_blendshapes.task"))),
                running_mode=running,
                num_faces=max_faces,
                output_face_blendshapes=True,
                min_face_detection_confidence=0.4,
                min_face_presence_confidence=0.4,
            )
            self._mp = mp
            self._landmarker = vision.FaceLandmarker.create_from_options(options)
        self.mode = mode

    def detect(self, rgb: np.ndarray, timestamp_ms: int | None = None) -> list[FaceObservation]:
        """All faces in an (H, W, 3) uint8 RGB image, largest first."""
        h, w = rgb.shape[:2]
        image = self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
        with _quiet_native_logs():
            if self.mode == "video":
                result = self._landmarker.detect_for_video(image, int(timestamp_ms or 0))
            else:
                result = self._landmarker.detect(image)
        faces = []
        for marks, shapes in zip(result.face_landmarks, result.face_blendshapes):
            pts = np.array([(p.x * w, p.y * h, p.z * w) for p in marks], dtype=np.float64)
            faces.append(FaceObservation(points=pts, blendshapes=bs.from_mediapipe(shapes)))
        return sorted(faces, key=lambda f: -f.height)

    def close(self) -> None:
        if self._landmarker is not None:
            with _quiet_native_logs():
                self._landmarker.close()
            self._landmarker = None

    def __enter__(self) -> FaceLandmarker:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _yunet_boxes(rgb: np.ndarray) -> list[np.ndarray]:
    """Face boxes [x0, y0, x1, y1] from YuNet, largest first (finds faces too small for MediaPipe)."""
    import cv2

    from emohead.assets import asset_path

    h, w = rgb.shape[:2]
    scale = min(1.0, 1600.0 / max(h, w))
    small = cv2.resize(rgb, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA) if scale < 1 else rgb
    with _quiet_native_logs():
        detector = cv2.FaceDetectorYN.create(str(asset_path("yunet_n_dynamic.onnx")), "", (small.shape[1], small.shape[0]), 0.6, 0.3, 50)
        _, found = detector.detect(cv2.cvtColor(small, cv2.COLOR_RGB2BGR))
    if found is None:
        return []
    boxes = [np.array([f[0], f[1], f[0] + f[2], f[1] + f[3]]) / scale for f in found]
    return sorted(boxes, key=lambda b: -(b[3] - b[1]))


def crop_matrix(box: np.ndarray, size: int) -> np.ndarray:
    """(2, 3) affine from image pixels to an axis-aligned square crop of ``size`` px around a mesh box."""
    height = box[3] - box[1]
    side = CROP_SCALE * max(height, box[2] - box[0])
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2 - 0.02 * side
    s = size / side
    return np.array([[s, 0.0, size / 2 - s * cx], [0.0, s, size / 2 - s * cy]])


def warp_crop(rgb: np.ndarray, matrix: np.ndarray, size: int) -> np.ndarray:
    import cv2

    return cv2.warpAffine(
        rgb, matrix, (size, size), flags=cv2.INTER_AREA if matrix[0, 0] < 1 else cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )


def _overlap(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over the smaller of two [x0, y0, x1, y1] boxes (a mesh box and a detector box differ in extent)."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    return float(w * h / min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1])))


def _find_faces(landmarker: FaceLandmarker, rgb: np.ndarray) -> list[FaceObservation]:
    """Every face, largest first: MediaPipe's, plus each face YuNet finds that MediaPipe's short-range detector
    missed (small faces in large photos, crowded group photos), landmarked in a crop of its own."""
    faces = landmarker.detect(rgb)
    for box in _yunet_boxes(rgb):
        if any(_overlap(box, f.box) > 0.3 for f in faces):
            continue
        m = crop_matrix(box, 384)
        found = landmarker.detect(warp_crop(rgb, m, 384))
        if found:
            f = found[0]
            inv = np.linalg.inv(np.vstack([m, [0, 0, 1]]))[:2]
            pts = f.points.copy()
            pts[:, :2] = pts[:, :2] @ inv[:, :2].T + inv[:, 2]
            pts[:, 2] /= m[0, 0]
            faces.append(FaceObservation(points=pts, blendshapes=f.blendshapes))
    return sorted(faces, key=lambda f: -f.height)


def analyze_portrait(
    rgb: np.ndarray,
    size: int = 256,
    face_index: int | None = None,
    face_model: FaceModel | None = None,
    landmarker: FaceLandmarker | None = None,
    what: str = "portrait",
) -> Portrait:
    """Find the face (the largest, or ``face_index`` in largest-first order) and prepare it for animation."""
    face_model = face_model or FaceModel.default()
    own = landmarker is None
    landmarker = landmarker or FaceLandmarker("image")
    notes: list[str] = []
    try:
        faces = _find_faces(landmarker, rgb)
        if not faces:
            raise EmoheadError(f"no face found in the {what}; use a photo with one clearly visible, roughly frontal face")
        if face_index is not None:
            if not 0 <= face_index < len(faces):
                raise EmoheadError(f"--face-index {face_index} is out of range: the {what} has {len(faces)} face(s), numbered 0.. by size")
            face = faces[face_index]
        else:
            face = faces[0]
            if len(faces) > 1:
                notes.append(f"the {what} has {len(faces)} faces; using the largest (pass --face-index N to choose, 0 = largest)")
        if face.height < MIN_FACE_PX:
            raise EmoheadError(
                f"the face in the {what} is {face.height:.0f} px tall, below the {MIN_FACE_PX} px minimum; use a larger or closer photo"
            )
        matrix = crop_matrix(face.box, size)
        crop = warp_crop(rgb, matrix, size)
        refined = landmarker.detect(crop)
        if refined:
            face_in_crop = refined[0]
        else:  # keep the full-image analysis, mapped into the crop
            pts = face.points.copy()
            pts[:, :2] = pts[:, :2] @ matrix[:, :2].T + matrix[:, 2]
            pts[:, 2] *= matrix[0, 0]
            face_in_crop = FaceObservation(points=pts, blendshapes=face.blendshapes)
    finally:
        if own:
            landmarker.close()
    canonical, pose = canonicalize(face_in_crop.points, face_model.template)
    return Portrait(
        image=rgb,
        crop=crop,
        crop_matrix=matrix,
        mesh=face_in_crop.points.astype(np.float32),
        lm68=to_ibug68(face_in_crop.points).astype(np.float32),
        blendshapes=face_in_crop.blendshapes,
        pose=pose,
        canonical=canonical.astype(np.float32),
        neutral=face_model.identity_neutral(canonical, face_in_crop.blendshapes).astype(np.float32),
        face_model=face_model,
        notes=notes,
    )


def track_video(path, fps: float | None = None, landmarker: FaceLandmarker | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Track the largest face through a video (MediaPipe video mode).

    Returns (points (T, 478, 3) pixels, blendshapes (T, 52), found (T,) bool); frames where the face
    is lost hold NaN points and zero blendshapes.
    """
    from emohead.video.io import read_frames

    own = landmarker is None
    landmarker = landmarker or FaceLandmarker("video", max_faces=1)
    points, shapes, found = [], [], []
    rate = fps or float(dims.FPS)
    try:
        for i, frame in enumerate(read_frames(path, fps=fps)):
            faces = landmarker.detect(frame, timestamp_ms=round(i * 1000 / rate))
            found.append(bool(faces))
            points.append(faces[0].points if faces else np.full((dims.N_MESH, 3), np.nan))
            shapes.append(faces[0].blendshapes if faces else np.zeros(bs.COUNT, np.float32))
    finally:
        if own:
            landmarker.close()
    if not points:
        return np.zeros((0, dims.N_MESH, 3)), np.zeros((0, bs.COUNT), np.float32), np.zeros(0, bool)
    return np.stack(points), np.stack(shapes), np.array(found)
