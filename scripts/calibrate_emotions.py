"""Calibrate the FACS emotion prototypes on real CREMA-D clips (one actor, one clip per emotion).

    python scripts/calibrate_emotions.py --cremad ../shared/data/video/cremad -o src/emohead/assets/emotion_prototypes.json

Tracks each ``*_{NEU,HAP,SAD,ANG,FEA,DIS}_*`` clip with MediaPipe, takes each channel's apex (90th
percentile over the clip; the neutral clip's median is the reference) and blends it into the FACS
defaults (``emohead.emotion.prototypes.calibrate``). The neutral clip's median is also stored as the
relaxed-face baseline for expressive channels.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from emohead.emotion.prototypes import EXPRESSIVE, calibrate
from emohead.face import blendshapes as bs
from emohead.face.analyze import track_video

CODES = {"NEU": "neutral", "HAP": "happy", "SAD": "sad", "ANG": "angry", "FEA": "fear", "DIS": "disgust"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cremad", type=Path, required=True, help="folder with CREMA-D clips (VideoFlash .flv)")
    ap.add_argument("-o", "--out", type=Path, required=True)
    args = ap.parse_args()
    measured, clips = {}, []
    for path in sorted(args.cremad.glob("*.flv")):
        code = path.stem.split("_")[2]
        if code in CODES:
            _, shapes, found = track_video(path)
            measured[CODES[code]] = np.median(shapes[found], 0) if code == "NEU" else np.percentile(shapes[found], 90, axis=0)
            clips.append(path.name)
    neutral = measured.pop("neutral")
    table = calibrate(measured, neutral)
    baseline = {n: round(float(neutral[bs.INDEX[n]]), 4) for n in EXPRESSIVE if neutral[bs.INDEX[n]] > 0.01}
    doc = {
        "about": "FACS prototypes calibrated on CREMA-D (ODbL 1.0 / DbCL 1.0; actor 1001, sentence DFA)",
        "command": f"python scripts/calibrate_emotions.py --cremad {args.cremad} -o {args.out}",
        "clips": clips,
        "prototypes": table,
        "neutral_baseline": baseline,
    }
    args.out.write_text(json.dumps(doc, indent=1) + "\n")
    print(json.dumps(table, indent=1))


if __name__ == "__main__":
    main()
