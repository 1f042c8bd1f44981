"""The face model's display gain: intensity 1 should look like the acted apex it was measured from.

    python scripts/calibrate_display_gain.py [--model src/emohead/assets/weights/face_model] [--write]

Why: the basis is fitted to MediaPipe's blendshape scores, which flatten out on strong expressions. Measured
here on calibration faces: an emotion prototype drawn with the basis alone is read back by MediaPipe at a
fraction of the rise that MediaPipe measured on the acted clip the prototype came from, and the real smile of
an acted apex frame is not taken out of the actor's identity shape (FER still reads the "relaxed" face as
happy). ``FaceModel.display`` adds a gain on the expressive channels' departure from the relaxed face, in
analysis and synthesis alike (see its docstring).

What it measures, on calibration data only (CREMA-D actor 1001, whose clips the prototypes were calibrated on;
none of the held-back portraits or clips): for each acted emotion, the apex frame (where MediaPipe's scores of
the emotion's prototype channels peak) is tracked, and its pose-free mesh minus the actor's neutral frames' is
the acted expression, in canonical units (identity cancels: same actor, same session). The face model draws the
emotion's prototype at intensity 1 on the relaxed face (``expression(relaxed + prototype, rest=relaxed)`` minus the
relaxed face)
at each gain of GAINS. Printed per emotion and gain: the mean displacement per landmark over the points speech
leaves alone (brows, eyes, nose, mouth corners: iBUG 17-47, 48, 54), drawn against acted, and the least-squares
gain that would match the actor.

How the shipped gain was chosen (``--write G`` records G in the face model's ``config.json``): this actor's
CREMA-D clips are of unspecified intensity ("XX", level 2 in emohead's scale), and the issue asks intensity 1 to be
the apex of a full acted expression, recognisable at a glance; so the gain is the largest at which a contact
sheet of held-back portraits shows no torn or folded face (2.0; at 3.0 the raised brows pull the forehead over
the hairline and the sad mouth folds), checked with ``python benchmarks/emotion.py --portraits calibration``
(the FER classifier on calibration portraits: mean lift +0.180 at 1.0, +0.257 at 2.0, +0.325 at 3.0).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from emohead.emotion.prototypes import EXPRESSIVE, load_prototypes
from emohead.face import blendshapes as bs
from emohead.face.analyze import FaceLandmarker, analyze_portrait
from emohead.face.ibug68 import to_ibug68
from emohead.face.model import FaceModel
from emohead.video.io import read_frames

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "video"
ACTED = {"angry": "ANG", "disgust": "DIS", "fear": "FEA", "happy": "HAP", "sad": "SAD"}
LANDMARKS = np.r_[17:48, 48, 54]  # iBUG points speech leaves alone
GAINS = (1.0, 1.5, 2.0, 2.5, 3.0)


def canonical_lm(fm: FaceModel, frame: np.ndarray, lm):
    """(iBUG points (len(LANDMARKS), 3) pose-free, the frame's blendshapes) for one video frame."""
    p = analyze_portrait(frame, 256, face_model=fm, landmarker=lm)
    return to_ibug68(p.canonical[None])[0][LANDMARKS], p.blendshapes


def identity_spread(fm: FaceModel, relaxed: np.ndarray) -> dict[float, float]:
    """gain -> mean distance (eye-distances, LANDMARKS) between the identity shape recovered from each acted clip of
    CREMA-D actor 1001 and the one from his neutral clip, if analysis took the portrait's own expression out with the
    display gain too (same person, same session: the smaller, the better analysis separates identity and expression)."""
    from emohead.face.analyze import track_video
    from emohead.face.model import canonicalize

    clips = {}
    for code in ("NEU", *ACTED.values()):
        pts, shapes, found = track_video(SHARED / f"cremad/1001_DFA_{code}_XX.flv")
        clips[code] = (np.stack([canonicalize(p, fm.template)[0] for p in pts[found]]), shapes[found])
    out = {}
    for g in GAINS:
        fm.set_display_gain(g)
        ids = {
            c: to_ibug68(canon - fm.expression(w, relaxed).reshape(len(w), -1, 3))[:, LANDMARKS].mean(0) for c, (canon, w) in clips.items()
        }
        out[g] = float(np.mean([np.linalg.norm(v - ids["NEU"], axis=1).mean() for c, v in ids.items() if c != "NEU"]))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, default=Path(__file__).resolve().parents[1] / "src/emohead/assets/weights/face_model")
    ap.add_argument("--write", type=float, metavar="G", help="record display gain G in the model's config.json")
    args = ap.parse_args()
    t0 = time.time()
    fm = FaceModel.load(args.model)
    fm.set_display_gain(1.0)
    protos = load_prototypes()
    relaxed = np.zeros(len(protos.baseline), np.float32)
    relaxed[bs.indices(EXPRESSIVE)] = protos.baseline[bs.indices(EXPRESSIVE)]
    with FaceLandmarker("image") as lm:
        neutral = np.mean([canonical_lm(fm, f, lm)[0] for f in list(read_frames(SHARED / "cremad/1001_DFA_NEU_XX.flv"))[::3]], 0)
        acted, drawn = {}, {g: {} for g in GAINS}
        for emotion, code in ACTED.items():
            offset = protos.label_offset(emotion, 1.0)
            chans = np.flatnonzero(offset > 0)
            tracked = [canonical_lm(fm, f, lm) for f in list(read_frames(SHARED / f"cremad/1001_DFA_{code}_XX.flv"))[::2]]
            acted[emotion] = max(tracked, key=lambda t: float(t[1][chans].sum()))[0] - neutral
            w = np.stack([relaxed, np.clip(relaxed + offset, 0, 1)])
            for g in GAINS:
                fm.set_display_gain(g)
                pts = to_ibug68(fm.expression(w, relaxed).reshape(2, -1, 3))[:, LANDMARKS]
                drawn[g][emotion] = pts[1] - pts[0]
    size = {e: float(np.linalg.norm(d, axis=1).mean()) for e, d in acted.items()}
    print(
        "mean displacement per landmark (eye-distances), acted apex of CREMA-D 1001: " + ", ".join(f"{e} {v:.4f}" for e, v in size.items())
    )
    for g in GAINS:
        print(
            f"gain {g:.2f} drawn at intensity 1: " + ", ".join(f"{e} {np.linalg.norm(d, axis=1).mean():.4f}" for e, d in drawn[g].items())
        )
    d1, d2 = drawn[GAINS[0]], drawn[GAINS[-1]]
    per_unit = {e: (d2[e] - d1[e]) / (GAINS[-1] - GAINS[0]) for e in acted}  # drawn displacement is linear in the gain
    fit = {e: GAINS[0] + float(np.sum((acted[e] - d1[e]) * per_unit[e]) / np.sum(per_unit[e] ** 2)) for e in acted}
    print("gain matching the actor, per emotion: " + ", ".join(f"{e} {g:.2f}" for e, g in fit.items()) + f" ({time.time() - t0:.0f} s)")
    spread = identity_spread(fm, relaxed)
    print(
        "analysis with the gain (why it is for drawing only): mean distance of each acted clip's identity shape to the "
        "neutral clip's, " + ", ".join(f"gain {g:.1f} {v:.4f}" for g, v in spread.items())
    )
    if args.write:
        config_path = args.model / "config.json"
        config = json.loads(config_path.read_text())
        config["display_gain"] = args.write
        config["display_gain_matching_cremad_1001"] = {e: round(g, 2) for e, g in fit.items()}
        config["display_gain_command"] = f"python scripts/calibrate_display_gain.py --write {args.write}"
        config_path.write_text(json.dumps(config, indent=1) + "\n")
        print(f"wrote {config_path}")


if __name__ == "__main__":
    main()
