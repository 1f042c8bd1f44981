"""Calibrate how strongly a landmark model (eapc, mul2lm) draws a labelled emotion (never on held-back portraits).

    python scripts/calibrate_emotion_gain.py --model eapc
    python scripts/calibrate_emotion_gain.py --model eapc --write src/emohead/assets/weights/eapc [--rounds 4]

Intensity 1 is the apex of a full acted expression: the calibrated FACS prototype (``emotion.prototypes``), which
the analytic model draws exactly. A network trained to regress landmarks draws less of it (the mean of what it
saw). For each calibration portrait of ``benchmarks/emotion.py`` (``CALIBRATION``, with its voice), each label is
requested at intensity 1 and compared with the neutral label: the mean blendshape change, projected on that
emotion's prototype, is the share of the prototype the model draws. ``--write DIR`` puts the gains that make
the mean share 1 into ``DIR/emotion.json``, measured with the gains DIR already has, ``--rounds`` times (the
channels' bounds [0, 1] make the share grow less than the gain, so each round refines the last); the model then
scales its change against the neutral label by them (``motion.landmarks.amplify_emotion``). Gains are kept
within [1, 3]: a model is never made to draw less of an emotion than it learnt, nor to invent three times more.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import emohead  # noqa: E402
from emohead.emotion.prototypes import load_prototypes  # noqa: E402
from emotion import CALIBRATION, CALIBRATION_VOICE, SHARED, portrait_image  # noqa: E402

EMOTIONS = ("happy", "sad", "angry", "fear", "surprise", "disgust")
GAIN_RANGE = (1.0, 3.0)


def shares(model, inputs) -> dict[str, float]:
    """Each emotion's share of its prototype at intensity 1, against the neutral label (one analysed portrait)."""
    protos = load_prototypes()
    base = model.generate(inputs.with_emotion("neutral", intensity=1.0)).blendshapes.mean(0)
    out = {}
    for emotion in EMOTIONS:
        change = model.generate(inputs.with_emotion(emotion, intensity=1.0)).blendshapes.mean(0) - base
        proto = protos.label_offset(emotion, 1.0)
        out[emotion] = float(change @ proto / (proto @ proto))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="eapc", help="landmark motion model to calibrate (default %(default)s)")
    ap.add_argument("--write", type=Path, help="weights folder whose emotion.json gets the new gains")
    ap.add_argument("--rounds", type=int, default=4, help="measure-and-update rounds with --write (default %(default)s)")
    args = ap.parse_args()
    from emohead.motion import get_spec
    from emohead.motion.landmarks import LandmarkMotionModel

    spec = get_spec(args.model)
    if args.write and not issubclass(spec.load(spec.entry), LandmarkMotionModel):
        ap.error(f"--write: {args.model} does not read emotion.json; only the landmark models (eapc, mul2lm) do")
    t0 = time.time()
    analysed = {
        rel: emohead.analyze(portrait_image(rel), SHARED / CALIBRATION_VOICE[0], transcript=CALIBRATION_VOICE[1]) for rel in CALIBRATION
    }
    for round_ in range(args.rounds if args.write else 1):
        model = emohead.load_motion_model(args.model, weights=str(args.write) if args.write else None)
        rows = {rel: shares(model, inputs) for rel, inputs in analysed.items()}
        if round_ == 0:
            for rel, row in rows.items():
                print(f"{Path(rel).name:28s} " + " ".join(f"{e} {v:.2f}" for e, v in row.items()))
        mean = {e: float(np.mean([r[e] for r in rows.values()])) for e in EMOTIONS}
        print(f"{'mean share':28s} " + " ".join(f"{e} {v:.2f}" for e, v in mean.items()), flush=True)
        if args.write:
            target = args.write / "emotion.json"
            old = json.loads(target.read_text())["gains"] if target.is_file() else {}
            gains = {e: round(float(np.clip(old.get(e, 1.0) / max(mean[e], 1e-3), *GAIN_RANGE)), 3) for e in EMOTIONS}
            doc = {
                "gains": gains,
                "share_before": {e: round(v, 3) for e, v in mean.items()},
                "portraits": len(rows),
                "command": " ".join(["scripts/calibrate_emotion_gain.py"] + sys.argv[1:]),
            }
            target.write_text(json.dumps(doc, indent=1) + "\n")
            print(f"round {round_ + 1}: wrote {target}: " + " ".join(f"{e} {old.get(e, 1.0):.2f}->{g:.2f}" for e, g in gains.items()))
    print(f"{time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
