"""How much the FER classifier's verdict on real acted faces depends on how the face is framed.

    python benchmarks/fer_framing.py --fer-weights ../shared/models/fer2013_mini_xception.hdf5 [--json F]

CREMA-D actor 1001's six acted clips (angry, disgust, fear, happy, neutral, sad), tracked at 25 fps, are read by
the FER2013 mini-Xception at each framing of ``emotion_classifier.FRAMINGS`` (a square ``side`` times the height
of the 68 landmarks' box, centred ``lift`` of that height above its centre): from the landmarks' own box to the
box the classifier's package gets from OpenCV's face detector with its margins. Printed per framing: the share of
each clip's frames the classifier puts on the acted label, their mean, and how many of the six clips' mean
probabilities put the acted label first; then the same for the probabilities averaged over all framings, which
is how emohead reads a face (``classify``). Also printed: the detector's own box (Haar cascade, 10-pixel margins,
as the package frames a face) against the landmarks' box on these clips. The clips are labelled, real and never
rendered by emohead, so this measures the judge, not the product.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from emohead.eval.emotion_classifier import FER_CLASSES, FRAMINGS, classify, load_fer
from emotion import ACTED, acted_faces, finish  # benchmarks/emotion.py, beside this file


def acted_clips() -> list[tuple[str, list[np.ndarray], np.ndarray]]:
    """(label, the frames with a face, their 68-landmark boxes) per acted clip."""
    return [(emotion, *acted_faces(code)) for code, emotion in ACTED]


def detector_framing(clips) -> dict:
    """The package's framing on these frames: OpenCV's Haar frontal-face box with 10-pixel margins, as (side, lift)
    in heights of the landmarks' box (median over frames where it finds one face)."""
    import cv2

    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    sides, lifts = [], []
    for _, frames, boxes in clips:
        for frame, (_, y0, _, y1) in zip(frames, boxes):
            found = cascade.detectMultiScale(cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY), 1.1, 5, minSize=(50, 50))
            if len(found) != 1:
                continue
            x, y, w, h = found[0]
            height = y1 - y0
            sides.append((max(w, h) + 20) / height)
            lifts.append(((y0 + y1) / 2 - (y + h / 2)) / height)
    return {"side": float(np.median(sides)), "lift": float(np.median(lifts)), "frames": len(sides)}


def readings(fer, clips) -> dict[str, np.ndarray]:
    """Per clip the classifier's probabilities at each framing of ``FRAMINGS``: (framings, frames, 7)."""
    return {emotion: np.stack([classify(fer, frames, boxes, framings=(f,)) for f in FRAMINGS]) for emotion, frames, boxes in clips}


def scores(probs: dict[str, np.ndarray]) -> dict:
    """From (frames, 7) probabilities per clip: the share of frames read as the acted label; their mean; clips whose
    mean probabilities put it first."""
    shares = {e: float((p.argmax(1) == FER_CLASSES.index(e)).mean()) for e, p in probs.items()}
    first = sum(int(p.mean(0).argmax() == FER_CLASSES.index(e)) for e, p in probs.items())
    return {"top1_share": shares, "mean_top1": float(np.mean(list(shares.values()))), "clips_first": first}


def row_text(label: str, row: dict) -> str:
    return f"{label} | " + " ".join(f"{v:5.2f}" for v in row["top1_share"].values()) + f" | {row['mean_top1']:.2f}  {row['clips_first']}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fer-weights", required=True, help="FER2013 mini-Xception .hdf5 (../shared/models/fer2013_mini_xception.hdf5)")
    ap.add_argument("--json", type=Path, help="also write the figures as JSON")
    args = ap.parse_args()
    t0 = time.time()
    fer, clips = load_fer(args.fer_weights), acted_clips()
    report = {"detector": detector_framing(clips), "framings": []}
    d = report["detector"]
    print(f"the package's detector box with margins: side {d['side']:.2f}, lift {d['lift']:.2f} ({d['frames']} frames)")
    print("share of each clip's frames read as its acted label, per framing; their mean; clips whose mean reading is right")
    print("side lift | " + " ".join(f"{e[:5]:>5s}" for e, _, _ in clips) + " | mean  clips")
    probs = readings(fer, clips)  # each framing read once; the averaged reading is their mean, as ``classify`` takes it
    for k, (side, lift) in enumerate(FRAMINGS):
        row = scores({e: p[k] for e, p in probs.items()}) | {"side": side, "lift": lift}
        report["framings"].append(row)
        print(row_text(f"{side:4.1f} {lift:4.1f}", row))
    report["averaged"] = row = scores({e: p.mean(0) for e, p in probs.items()})
    print(row_text("averaged ", row))
    for e in report["framings"][0]["top1_share"]:
        values = [r["top1_share"][e] for r in report["framings"]]
        print(f"{e}: {min(values):.2f}-{max(values):.2f} over the framings")
    finish(report, t0, args.json)


if __name__ == "__main__":
    main()
