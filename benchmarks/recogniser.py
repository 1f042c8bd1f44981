"""The motion emotion recogniser on real clips it never trained on: accuracy and confusion matrix.

    python benchmarks/recogniser.py --data corpus [--weights runs/recogniser/weights]

Held-back real clips: CREMA-D actor 1001 (neutral, happy, sad, angry, fear, disgust: acted at the "unspecified"
level; left out of training with every synthetic row made from them, ``hold_back_speakers`` in the recogniser's
config) and the corpus's test split (3 held-back speakers, neutral speech). Each clip is read whole (clip
level) and in 1 s windows (window level). Beware: the emotion prototypes behind the synthetic training rows were
calibrated on the same CREMA-D actor, so these clips are unseen, not independent of the prototypes. Writes
``benchmarks/recogniser.json`` and ``.png`` (the confusion matrix).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--weights", help="recogniser weights folder (default: bundled)")
    ap.add_argument("--out", type=Path, default=HERE / "recogniser")
    args = ap.parse_args()

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import torch

    from emohead import dims
    from emohead.data.cache import Cache
    from emohead.emotion.recogniser import SPEC, load_recogniser
    from emohead.emotion.vocabulary import EMOTIONS

    net = load_recogniser(args.weights)
    held = set(SPEC.default_config["data"]["hold_back_speakers"])
    cache = Cache(args.data)
    rows = [r for r in cache.index() if not r["synthetic"] and (r["speaker"] in held or r["split"] == "test")]
    confusion = np.zeros((len(EMOTIONS), len(EMOTIONS)), int)
    windows_right = windows = 0
    clips = {}
    for row in rows:
        w = cache.load(row["clip_id"], ["blendshapes"])["blendshapes"]
        truth = EMOTIONS.index(row["emotion"]) if row["emotion"] in EMOTIONS else EMOTIONS.index("neutral")
        with torch.no_grad():
            whole = net(torch.from_numpy(w[None])).softmax(-1)[0].numpy()
            parts = [w[s : s + dims.FPS] for s in range(0, len(w) - dims.FPS + 1, dims.FPS)]
            win = net(torch.from_numpy(np.stack(parts))).argmax(-1).numpy()
        guess = int(whole.argmax())
        confusion[truth, guess] += 1
        windows += len(win)
        windows_right += int((win == truth).sum())
        clips[row["clip_id"]] = {"truth": EMOTIONS[truth], "predicted": EMOTIONS[guess], "p_truth": round(float(whole[truth]), 3)}
    present = sorted({EMOTIONS.index(c["truth"]) for c in clips.values()})
    report = {
        "clips": len(clips),
        "clip_accuracy": round(float(np.trace(confusion) / confusion.sum()), 3),
        "window_accuracy": round(windows_right / max(windows, 1), 3),
        "windows": windows,
        "chance": round(1 / len(present), 3),
        "per_clip": clips,
        "confusion": {"labels": list(EMOTIONS), "rows_true_cols_predicted": confusion.tolist()},
    }
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    ax.imshow(confusion, cmap="Blues")
    ax.set_xticks(range(len(EMOTIONS)), EMOTIONS, rotation=45, ha="right")
    ax.set_yticks(range(len(EMOTIONS)), EMOTIONS)
    for i in range(len(EMOTIONS)):
        for j in range(len(EMOTIONS)):
            if confusion[i, j]:
                ax.text(j, i, confusion[i, j], ha="center", va="center")
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(
        f"motion recogniser, {len(clips)} held-back real clips: {report['clip_accuracy']:.0%} (chance {report['chance']:.0%})", fontsize=9
    )
    fig.tight_layout()
    fig.savefig(args.out.with_suffix(".png"), dpi=110)
    args.out.with_suffix(".json").write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps({k: v for k, v in report.items() if k != "per_clip"}, indent=1))
    for cid, c in clips.items():
        print(f"{cid:40s} {c['truth']:9s} -> {c['predicted']:9s} P(truth) {c['p_truth']:.2f}")


if __name__ == "__main__":
    main()
