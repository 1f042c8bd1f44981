"""De-attenuate the face model's expression channels by a measured round trip through the renderer.

    python scripts/fit_face_basis.py --data ../shared/data/video -o /tmp/fitted --ridge 0.001
    python scripts/calibrate_basis_gain.py --fitted /tmp/fitted [--model src/emohead/assets/weights/face_model]

Why: the basis is fitted by regressing MediaPipe's mesh motion on MediaPipe's blendshape scores. The scores
are noisy, and least squares on a noisy regressor shrinks the slope toward zero (regression dilution), so a
channel at 1 moves the face far less than a real face that MediaPipe scores 1. Measured here: a brow raise
rendered at +0.5 is read back by MediaPipe as +0.14, a smile as +0.16, a brow lowering as +0.06.

How: on calibration faces only (the first frames of CREMA-D actor 1001's neutral clip, a GRID s1 clip and the
GRID sample speaker brbk7n; none of the held-back portraits or clips, and not the bundled demo portrait, which is
a crop of the held-back shared/data/portraits/biden.jpg), each expressive channel that is not a speech channel is
rendered at +0.5 with its basis row scaled by g in 1..4, the warp-rendered face is analysed again with
MediaPipe, and the channel's gain is the smallest g at which the read-back rise reaches 90 % of what the
channel can reach (MediaPipe's ceiling); a left/right pair shares the mean of its measured sides, and no gain
exceeds ``MAX_GAIN``. Channels MediaPipe's scores do not follow at all (eye
widen, cheek raise, nose wrinkle, lip-corner depress: their geometry comes mostly from the FACS prior that
``face.prior`` sculpts, not from the diluted fit) get the smallest measured gain, the conservative choice.
With the cap binding (every measured gain is above it), all these channels get 1.75 today: in effect one
de-attenuation factor, measured rather than guessed. Speech channels keep gain 1: lip-sync amplitude is
calibrated on real talking video instead. The extra displacement is smoothed over the surface (a raised brow
carries the forehead above it, so no triangle folds) and fades to none over 0.3 eye-distances toward the face
oval (hairline, temples and jaw edge are held by the skull; moving them would tear the face from its
surroundings). Gains are written
into the face model's config and applied to the fitted basis (``--fitted``), so a rerun starts from it.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from emohead.face import blendshapes as bs
from emohead.face.analyze import FaceLandmarker, analyze_portrait
from emohead.face.geometry import apply_pose
from emohead.face.model import GAIN_SPREAD, FaceModel, display_channels, extra_displacement, gain_smoother, gain_vertex_weights
from emohead.render.warp import WarpRenderer
from emohead.video.io import read_frames

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "video"
FACES = ("cremad/1001_DFA_NEU_XX.flv", "grid_s1/s1/bbaf3s.mp4", "grid/brbk7n.mpg")
GAINS = np.arange(1.0, 4.01, 0.25)
STEP = 0.5


def measure(fm: FaceModel, faces: list[np.ndarray]) -> dict[str, np.ndarray]:
    """channel -> read-back rise (mean over faces) at each gain of GAINS, for a +STEP request."""
    out = {}
    with FaceLandmarker("image") as lm:
        portraits = [analyze_portrait(f, 256, face_model=fm, landmarker=lm) for f in faces]
        rest = []
        for p in portraits:
            mesh = fm.mesh(p.neutral, p.blendshapes[None], p.pose[None])[0]
            rest.append(analyze_portrait(WarpRenderer(p).render(mesh), 256, landmarker=lm).blendshapes)
        for name in display_channels():
            k, rises = bs.INDEX[name], []
            for gain in GAINS:
                vals = []
                for p, base in zip(portraits, rest):
                    canon = fm.canonical(p.neutral, p.blendshapes[None])[0] + gain * STEP * fm.basis[k]
                    got = analyze_portrait(WarpRenderer(p).render(apply_pose(canon[None], p.pose[None])[0]), 256, landmarker=lm)
                    vals.append(got.blendshapes[k] - base[k])
                rises.append(float(np.mean(vals)))
            out[name] = np.array(rises)
            print(f"{name:18s} read-back rise at gain {GAINS[0]:g}..{GAINS[-1]:g}: " + " ".join(f"{v:+.2f}" for v in rises), flush=True)
    return out


# The largest cap at which the face model's identity check still holds on a calibration face (a rendered
# expression re-analysed: the recovered neutral moves under half as much as the face; tests/test_face_model.py).
# Measured on the demo portrait: cap 1.75 -> 0.48, 2.0 -> 0.53, 2.5 -> 0.56 (the ungained basis: 0.40).
MAX_GAIN = 1.75


def _pair(name: str) -> str:
    return name.removesuffix("Left").removesuffix("Right")


def gains_from(rises: dict[str, np.ndarray]) -> tuple[dict[str, float], list[str]]:
    measured: dict[str, list[float]] = {}
    for name, r in rises.items():
        if r.max() >= 0.1:  # otherwise MediaPipe's scores do not follow this channel
            target = 0.9 * min(STEP, r.max())
            measured.setdefault(_pair(name), []).append(float(GAINS[int(np.argmax(r >= target))]))
    pair_gain = {pair: min(MAX_GAIN, float(np.mean(v))) for pair, v in measured.items()}
    floor = min(pair_gain.values())
    unread = [name for name in rises if _pair(name) not in pair_gain]
    return {name: pair_gain.get(_pair(name), floor) for name in rises}, unread


def apply_gains(basis: np.ndarray, fitted: np.ndarray, gains: dict[str, float], weights: np.ndarray, smooth: np.ndarray) -> None:
    """basis[k] = fitted[k] + extra displacement, for every channel with a gain."""
    for name, g in gains.items():
        k = bs.INDEX[name]
        basis[k] = fitted[k] + extra_displacement(fitted[k], g, weights, smooth)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, default=Path(__file__).resolve().parents[1] / "src/emohead/assets/weights/face_model")
    ap.add_argument("--fitted", type=Path, required=True, help="the face model as scripts/fit_face_basis.py wrote it (no gains)")
    args = ap.parse_args()
    t0 = time.time()
    fm = FaceModel.load(args.model)
    weights, smooth = gain_vertex_weights(fm.template), gain_smoother(fm.template)
    for key in ("expression_gain", "expression_gain_fades_at_oval", "expression_gain_unread_channels", "expression_gain_command"):
        fm.info.pop(key, None)
    fm.basis = FaceModel.load(args.fitted).basis.copy()  # always start from the fitted basis
    faces = [next(read_frames(SHARED / rel)) for rel in FACES]
    gains, unread = gains_from(measure(fm, faces))
    fitted = fm.basis.copy()
    apply_gains(fm.basis, fitted, gains, weights, smooth)
    fm.info["expression_gain"] = gains
    fm.info["expression_gain_spread"] = GAIN_SPREAD
    fm.info["expression_gain_unread_channels"] = unread
    fm.info["expression_gain_command"] = "python scripts/calibrate_basis_gain.py --fitted FITTED"
    fm.save(args.model)
    print("gains:", {k: round(v, 2) for k, v in gains.items()}, f"(channels not read back: {', '.join(unread)})")
    print(f"{time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
