"""How well each speech feature of ``emohead.motion.speech`` carries the jaw to voices it was not fitted on.

    python benchmarks/speech_probe.py --data corpus [--json benchmarks/speech_probe.json]

A linear probe, no network: ridge regression from the features of each frame and its two neighbours on either
side to MediaPipe's jawOpen, fitted on the real clips of the cache's train split (standardised features; the
synthetic rows share their real clip's audio and are left out), scored by Pearson r per clip on the val and
test splits (other speakers). The cache must have been prepared with ``--whisper-features``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np


def main() -> None:
    from emohead.data.cache import Cache
    from emohead.face import blendshapes as bs
    from emohead.motion.speech import CACHE_KEYS, SPEECH_DIMS, cached_speech, with_context

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--data", type=Path, required=True, help="feature cache with whisper states (scripts/build_corpus.py --whisper-features)"
    )
    ap.add_argument("--ridge", type=float, default=10.0, help="ridge strength per 1000 training frames (default %(default)s)")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    t0 = time.time()
    cache, jaw = Cache(args.data), bs.INDEX["jawOpen"]
    rows = [r for r in cache.index() if not r["synthetic"]]
    keys = ["blendshapes", *CACHE_KEYS.values()]
    clips = {s: [(r["clip_id"], cache.load(r["clip_id"], keys)) for r in rows if r["split"] == s] for s in ("train", "val", "test")}
    report = {"ridge": args.ridge, "features": {}}
    for kind in SPEECH_DIMS:
        x = np.concatenate([with_context(cached_speech(kind, a, c)) for c, a in clips["train"]])
        y = np.concatenate([a["blendshapes"][:, jaw] for _, a in clips["train"]])
        mean, std = x.mean(0), x.std(0) + 1e-6
        xn = (x - mean) / std
        w = np.linalg.solve(xn.T @ xn + args.ridge * len(xn) / 1000 * np.eye(xn.shape[1]), xn.T @ (y - y.mean()))
        scores = {}
        for split in ("val", "test"):
            for c, a in clips[split]:
                pred = ((with_context(cached_speech(kind, a, c)) - mean) / std) @ w
                scores[c] = float(np.corrcoef(pred, a["blendshapes"][:, jaw])[0, 1])
        test = [scores[c] for c, _ in clips["test"]]
        val = [scores[c] for c, _ in clips["val"]]
        report["features"][kind] = {"val_r": float(np.mean(val)), "test_r": float(np.mean(test)), "per_clip": scores}
        print(
            f"{kind:8s} val r {np.mean(val):.3f}  held-back r {np.mean(test):.3f}  ("
            + ", ".join(f"{c} {v:.2f}" for c, v in scores.items())
            + ")"
        )
    if args.json:
        args.json.write_text(json.dumps(report | {"seconds": round(time.time() - t0, 1)}, indent=1) + "\n")
    print(f"{len(clips['train'])} training clips; {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
