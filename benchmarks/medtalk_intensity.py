"""MEDTalk's frame-wise intensity against its target (Eq. 8) on clips the model never trained on.

    python benchmarks/medtalk_intensity.py --data corpus [--weights runs/medtalk/weights]

Panels: the real emotional clip held back from the bundled run (``hold_back`` in the model's config.json:
CREMA-D 1001 "Don't forget a jacket", happy), and the held-back real speakers of the cache's test split. Each
shows the FIM's prediction from voice + transcript (smoothed as at inference) against the target: the L1 norm
of the emotion-bearing channels of the real face (relative to the speaker's neutral rest), in units of the
emotion's full prototype. Writes ``benchmarks/medtalk_intensity.png`` and ``.json`` (Pearson r and mean
absolute error per clip, and pooled over the clips).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def clip_curves(net, cache, row: dict, rests: dict) -> tuple[np.ndarray, np.ndarray]:
    import torch

    from emohead.motion.medtalk import rig as R
    from emohead.motion.medtalk.training import row_label
    from emohead.text.minilm import token_embeddings

    a = cache.load(row["clip_id"], ["blendshapes", "llf", "energy_db"])
    emotion, _ = row_label(row)
    target = R.intensity(R.to_rig(a["blendshapes"], rests[row["speaker"]]), emotion)
    tokens = token_embeddings(row.get("transcript") or "")
    with torch.no_grad():
        pred = net.intensity(
            torch.from_numpy(R.voice_input(a["llf"], a["energy_db"])[None]),
            torch.from_numpy(tokens[None]),
            torch.ones(1, len(tokens), dtype=torch.bool),
        )
    return np.clip(R.savgol_smooth(pred[0].numpy()), 0, None), target


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, required=True, help="the feature cache the model was trained from (scripts/build_corpus.py)")
    ap.add_argument("--weights", help="medtalk weights folder (default: bundled)")
    ap.add_argument("--out", type=Path, default=HERE / "medtalk_intensity")
    args = ap.parse_args()

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from emohead.data.cache import Cache
    from emohead.data.datasets import speaker_rests
    from emohead.motion import get_spec

    spec = get_spec("medtalk")
    net = spec.load(spec.network).from_pretrained(args.weights or spec.weights_location).eval()
    held = spec.default_config.get("data", {}).get("hold_back", [])
    cache = Cache(args.data)
    index = cache.index()
    rows = [r for r in index if not r["synthetic"] and (r["clip_id"] in held or r["split"] == "test")]
    rests = speaker_rests(cache, [r for r in index if r["speaker"] in {x["speaker"] for x in rows}])
    fig, axes = plt.subplots(len(rows), 1, figsize=(8, 2.2 * len(rows)), squeeze=False)
    report, pooled = {}, []
    for ax, row in zip(axes[:, 0], rows):
        pred, target = clip_curves(net, cache, row, rests)
        pooled.append((pred, target))
        t = np.arange(len(pred)) / 25
        r = float(np.corrcoef(pred, target)[0, 1]) if pred.std() > 0 and target.std() > 0 else float("nan")
        report[row["clip_id"]] = {"pearson_r": round(r, 3), "mae": round(float(np.abs(pred - target).mean()), 3), "frames": len(pred)}
        ax.plot(t, target, label="target (Eq. 8, real face)", color="k")
        ax.plot(t, pred, label="FIM from voice + words", color="tab:red")
        what = f"{row['emotion'] or 'neutral'} (held back from training)" if row["clip_id"] in held else "held-back speaker"
        ax.set_title(f"{row['clip_id']}: {what}; r = {r:.2f}", fontsize=9)
        ax.set_ylabel("intensity")
        ax.legend(fontsize=7, loc="upper right")
    everything = np.concatenate([p for p, _ in pooled]), np.concatenate([t for _, t in pooled])
    report["pooled"] = {
        "pearson_r": round(float(np.corrcoef(*everything)[0, 1]), 3),
        "mae": round(float(np.abs(everything[0] - everything[1]).mean()), 3),
    }
    axes[-1, 0].set_xlabel("seconds")
    fig.tight_layout()
    fig.savefig(args.out.with_suffix(".png"), dpi=110)
    args.out.with_suffix(".json").write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
