"""Fit the analytic model's heard mouth: a linear readout from whisper's encoder states to the inner-lip opening.

    python scripts/fit_mouth_probe.py --data corpus [-o src/emohead/assets/weights/mouth_probe]

Real talking video only, none of it held back (``emohead.data.corpus.HELD_OUT_REAL``) and not the validation clip
(``VALIDATION``): GRID s1 sentences 0:760 in clip-id order from the corpus (``scripts/build_corpus.py``; the real
opening from its tracked landmarks; sentences 800:1000 stay unseen for ``benchmarks/lipsync_real.py --grid-s1``),
and the other real clips under cremad/, grid/ and other/, tracked here (the weekly address in step with its sound,
``AV_OFFSETS``). Each clip's opening is standardised (the readout predicts its shape; the model keeps its own
size), each frame's whisper states are taken with ``heard.CONTEXT`` neighbours either side and standardised, and
ridge regression (``--ridge`` per 1000 frames) fits the readout, written as one weight vector and a bias
(``config.json`` + ``model.safetensors``, class ``MouthProbe``). Printed: the fit's r on its own clips, and the
readout alone on the validation clip. Needs the asr extra (whisper).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from emohead.data.cache import Cache  # noqa: E402
from emohead.data.corpus import DUPLICATES, HELD_OUT_REAL  # noqa: E402
from emohead.face.ibug68 import mouth_opening  # noqa: E402
from emohead.motion.heard import CONTEXT, standardised  # noqa: E402
from emohead.motion.speech import with_context  # noqa: E402
from emohead.text.asr import whisper_states_of  # noqa: E402
from emohead.weights import bundled_dir, save_artifact  # noqa: E402
from lipsync_real import SHARED, VIDEO_EXT, clip_inputs, pearson, real_opening  # noqa: E402

VALIDATION = ("grid/brbk7n.mpg",)  # the corpus's validation speaker: never fitted on, kept to check the readout
S1_SENTENCES = (0, 760)


def tracked(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(states (T, 384), real opening (T,) with NaN where no face) of a real clip, its picture in step with its sound."""
    real, found = real_opening(path)
    return whisper_states_of(clip_inputs(path)[0], len(real)), np.where(found, real, np.nan)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True, help="the corpus (scripts/build_corpus.py) with GRID s1's tracked sentences")
    ap.add_argument("--video", type=Path, default=SHARED / "data" / "video", help="real clips (default: %(default)s)")
    ap.add_argument("--ridge", type=float, default=100.0, help="ridge strength per 1000 frames (default %(default)s)")
    ap.add_argument("-o", "--out", type=Path, default=bundled_dir("mouth_probe"), help="weights folder (default: the bundled one)")
    args = ap.parse_args()
    t0 = time.time()
    cache = Cache(args.data)
    sentences = sorted((args.video / "grid_s1" / "s1").glob("*.mp4"))[slice(*S1_SENTENCES)]
    others = [p for sub in ("cremad", "grid", "other") for p in sorted((args.video / sub).glob("*")) if p.suffix.lower() in VIDEO_EXT]
    others = [p for p in others if f"{p.parent.name}/{p.name}" not in {*HELD_OUT_REAL, *DUPLICATES, *VALIDATION}]
    if not sentences or not others:
        ap.error(f"no real clips under {args.video}: pass --video ../shared/data/video")
    clips = []
    for path in tqdm(sentences, desc="GRID s1 (whisper)", unit="clip"):
        real = mouth_opening(cache.load(f"grid_s1_{path.stem}", ["lm68"])["lm68"])
        clips.append((whisper_states_of(path, len(real)), real))
    for path in tqdm(others, desc="other clips (tracking, whisper)", unit="clip"):
        clips.append(tracked(path))
    xs, ys = [], []
    for states, real in clips:
        ok = np.isfinite(real)
        xs.append(with_context(states, CONTEXT)[ok])
        ys.append(standardised(real[ok]))
    x, y = np.concatenate(xs).astype(np.float64), np.concatenate(ys)
    mean, sd = x.mean(0), x.std(0) + 1e-6
    xn = (x - mean) / sd
    w = np.linalg.solve(xn.T @ xn + args.ridge * len(xn) / 1000 * np.eye(xn.shape[1]), xn.T @ y)
    weight, bias = w / sd, -float((mean / sd) @ w)  # the standardisation folded into one weight vector
    fit_r = np.mean([pearson(with_context(s, CONTEXT)[np.isfinite(r)] @ weight, r[np.isfinite(r)]) for s, r in clips])
    val = {name: tracked(args.video / name) for name in VALIDATION}
    val_r = {name: pearson(with_context(s, CONTEXT)[np.isfinite(r)] @ weight + bias, r[np.isfinite(r)]) for name, (s, r) in val.items()}
    minutes = (time.time() - t0) / 60
    save_artifact(
        args.out,
        "MouthProbe",
        {"context": CONTEXT},
        {"weight": weight.astype(np.float32), "bias": np.array([bias], np.float32)},
        extra={
            "trained": {
                "command": " ".join(["python", *sys.argv]),
                "data": f"GRID s1 sentences {S1_SENTENCES[0]}:{S1_SENTENCES[1]} of the corpus and {len(others)} other real clips",
                "clips": len(clips),
                "frames": len(y),
                "ridge": args.ridge,
                "fit_r": round(float(fit_r), 4),
                "validation_r": {k: round(float(v), 4) for k, v in val_r.items()},
                "minutes": round(minutes, 1),
            }
        },
    )
    print(f"{len(clips)} clips, {len(y)} frames: mean r on them {fit_r:.3f}; validation (readout alone) {val_r}")
    print(f"wrote {args.out} ({minutes:.1f} min)")


if __name__ == "__main__":
    main()
