"""Measure EmoSpeaker's fine-grained intensity matrix and ship it with the weights (``intensity_table.json``).

    python scripts/calibrate_emospeaker.py --weights src/emohead/assets/weights/emospeaker

For every emotion and every cell of the matrix (intensity label 1-3 x inference window 20/15/10/5/2 frames),
the model animates calibration inputs drawn from the *training* data only (CREMA-D actor 1001's neutral clip
and two GRID s1 clips: their first frame as the portrait, their own audio), so no held-back portrait or voice
is used. A cell's strength = the mean change of the emotion channels (EmoNet's output) against the neutral
request, projected on the emotion's prototype at intensity 1 and divided by the prototype's squared length:
1.0 means "as strong as the prototype of a full acted expression" (MEAD level 3 / CREMA-D HI). Each emotion's
``gain`` scales EmoNet's change so that its strongest cell reaches 1.0, and the table stores the strengths after
it; ``--intensity`` then picks the cell whose strength is closest.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

import emohead
from emohead.emotion.prototypes import load_prototypes
from emohead.face import blendshapes as bs
from emohead.motion.emospeaker.model import LEVELS, TABLE, WINDOWS, EmoSpeakerMotionModel
from emohead.motion.emospeaker.network import EMO
from emohead.video.io import read_frames

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "video"
CALIBRATION = ("cremad/1001_DFA_NEU_XX.flv", "grid_s1/s1/bbaf2n.mp4", "grid_s1/s1/lgaz8p.mp4")
EMOTIONS = ("neutral", "happy", "sad", "angry", "fear", "surprise", "disgust", "contempt")


def strength_table(weights: str, inputs: list) -> dict[str, list[list[float]]]:
    protos = load_prototypes()
    idx = bs.indices(EMO)
    models = {}
    for level in LEVELS:
        for window in WINDOWS:
            model = EmoSpeakerMotionModel(weights, window=window, intensity_level=level, blinks=False, head_motion=0)
            model.emotion_gain = {}  # measure the network itself; the gain is derived from this table
            models[level, window] = model
    table = {}
    for emotion in EMOTIONS:
        p = protos.label_offset(emotion, 1.0)[idx]
        rows = []
        for level in LEVELS:
            row = []
            for window in WINDOWS:
                model = models[level, window]
                values = []
                for inp in inputs:
                    base = model.generate(inp.with_emotion("neutral")).blendshapes[:, idx]
                    moved = model.generate(inp.with_emotion(emotion)).blendshapes[:, idx]
                    values.append(float(((moved - base) @ p).mean() / max(float(p @ p), 1e-9)) if p.any() else 0.0)
                row.append(round(float(np.mean(values)), 4))
            rows.append(row)
        table[emotion] = rows
        print(emotion, rows)
    return table


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--weights", required=True, help="the EmoSpeaker weights folder to calibrate (the table is written into it)")
    args = ap.parse_args()
    inputs = []
    for rel in CALIBRATION:
        path = SHARED / rel
        if not path.exists():
            raise SystemExit(f"calibration clip {path} is missing (needs ../shared)")
        inputs.append(emohead.analyze(next(read_frames(path)), path))
    raw = strength_table(args.weights, inputs)
    # the gain that brings each emotion's strongest cell to the prototype at intensity 1
    gain = {e: round(1.0 / max(max(row) for row in rows), 4) for e, rows in raw.items() if max(max(row) for row in rows) > 0.05}
    table = {e: [[round(v * gain.get(e, 1.0), 4) for v in row] for row in rows] for e, rows in raw.items()}
    doc = {
        "strength": table,
        "gain": gain,
        "strength_before_gain": raw,
        "levels": list(LEVELS),
        "windows": list(WINDOWS),
        "calibration_clips": list(CALIBRATION),
        "definition": "mean change of the EMO channels against the neutral request, projected on the prototype at intensity 1, / |prototype|^2",
    }
    out = Path(args.weights) / TABLE
    out.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
