"""Diversity of a diffusion motion model: do two seeds give different but equally synced motion?

    python benchmarks/mfetalk_diversity.py [--seeds 0 1] [--steps 10] [--samples 4] [--weights DIR] [--json f]

On the 3 held-back real clips (never trained on) and 3 training clips, each clip is re-created from its first
frame with its own audio and transcript (as ``lipsync_real.py``), once per seed. Per seed: Pearson r of the
generated mouth opening against the real one and the amplitude ratio. Between seeds: the mean absolute
difference of the blendshape curves (all channels, and the upper face: brows, eyes, cheeks), the mean absolute
difference of head rotation (degrees), and the correlation of the two seeds' mouth openings (1: the same lips).
``--samples 1`` scores single draws; the default is the model's (the mean of 4 draws per seed).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import emohead  # noqa: E402
from emohead import dims  # noqa: E402
from emohead.face import blendshapes as bs  # noqa: E402
from emohead.face.analyze import track_video  # noqa: E402
from emohead.face.ibug68 import mouth_opening, to_ibug68  # noqa: E402
from emohead.video.io import read_frames  # noqa: E402
from lipsync_real import amplitude_ratio, clip_inputs, pearson  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "video"
CLIPS = (
    "grid/lwbsza.mpg",
    "grid/swiz3n.mpg",
    "other/hdtf_klobuchar_silent.mp4",
    "grid/bbaf2n.mpg",
    "grid/lrwp9a.mpg",
    "cremad/1001_DFA_NEU_XX.flv",
)
UPPER = bs.indices(tuple(n for n in bs.NAMES if n.startswith(("brow", "eyeSquint", "eyeWide", "cheek"))))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, nargs=2, default=[0, 1])
    ap.add_argument("--steps", type=int, default=None, help="DDIM steps (default: the model's)")
    ap.add_argument("--samples", type=int, default=None, help="draws averaged per seed (default: the model's)")
    ap.add_argument("--model", default="mfetalk")
    ap.add_argument("--weights")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    options = {k: v for k, v in (("steps", args.steps), ("samples", args.samples)) if v}
    model = emohead.load_motion_model(args.model, weights=args.weights, **options)
    rows = []
    for rel in CLIPS:
        path = SHARED / rel
        audio, transcript = clip_inputs(path)
        pts, _, found = track_video(path, fps=dims.FPS)
        real = mouth_opening(to_ibug68(pts))
        inputs = emohead.analyze(next(read_frames(path)).copy(), audio, transcript=transcript)
        motions = [model.generate(dataclasses.replace(inputs, seed=s)) for s in args.seeds]
        openings = [mouth_opening(m.lm68()) for m in motions]
        n = min(len(found), *(len(o) for o in openings))
        ok = found[:n]
        w0, w1 = (m.blendshapes[:n] for m in motions)
        row = {
            "clip": rel,
            "held_out": rel in ("grid/lwbsza.mpg", "grid/swiz3n.mpg", "other/hdtf_klobuchar_silent.mp4"),
            "r": [round(pearson(real[:n][ok], o[:n][ok]), 3) for o in openings],
            "amplitude_ratio": [round(amplitude_ratio(o[:n][ok], real[:n][ok]), 2) for o in openings],
            "spread_blendshapes": round(float(np.abs(w0 - w1).mean()), 4),
            "spread_upper_face": round(float(np.abs(w0 - w1)[:, UPPER].mean()), 4),
            "spread_head_deg": round(float(np.degrees(np.abs(motions[0].pose[:n, :3] - motions[1].pose[:n, :3]).mean())), 3),
            "mouth_r_between_seeds": round(pearson(openings[0][:n], openings[1][:n]), 3),
        }
        rows.append(row)
        print(
            f"{rel:36s} r {row['r'][0]:.3f} / {row['r'][1]:.3f}  amp {row['amplitude_ratio'][0]:.2f} / {row['amplitude_ratio'][1]:.2f}  "
            f"spread {row['spread_blendshapes']:.4f} (upper {row['spread_upper_face']:.4f}, head {row['spread_head_deg']:.2f} deg)  "
            f"mouth r between seeds {row['mouth_r_between_seeds']:.3f}",
            flush=True,
        )
    held = [r for r in rows if r["held_out"]]
    summary = {
        "seeds": args.seeds,
        "steps": model.steps if hasattr(model, "steps") else None,
        "samples": model.samples if hasattr(model, "samples") else None,
        "r_by_seed_held_out": [round(float(np.mean([r["r"][i] for r in held])), 3) for i in (0, 1)],
        "r_by_seed_all": [round(float(np.mean([r["r"][i] for r in rows])), 3) for i in (0, 1)],
        "spread_blendshapes": round(float(np.mean([r["spread_blendshapes"] for r in rows])), 4),
        "mouth_r_between_seeds": round(float(np.mean([r["mouth_r_between_seeds"] for r in rows])), 3),
    }
    print(json.dumps(summary))
    if args.json:
        args.json.write_text(json.dumps({"clips": rows, "summary": summary}, indent=1) + "\n")


if __name__ == "__main__":
    main()
