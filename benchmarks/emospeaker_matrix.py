"""EmoSpeaker's Table VII on our data: the fine-grained intensity matrix read by an external classifier.

    python benchmarks/emospeaker_matrix.py --fer-weights ../shared/models/fer2013_mini_xception.hdf5 \
        [--weights DIR] [--json benchmarks/emospeaker_matrix.json] [--png benchmarks/emospeaker_matrix.png]

For each of the six non-neutral FER emotions and each cell of the matrix (intensity label 1-3 x inference
window 20 / 15 / 10 / 5 / 2 frames), EmoSpeaker animates the held-back portraits of ``benchmarks/emotion.py``
with the held-back voice; the FER2013 mini-Xception classifier reads every 4th rendered frame and the cell is
the mean P(requested emotion), as the paper's Table VII reports (its Fig. 9 is the heatmap). The paper finds
the probability rising with the label and with shorter windows; the report says, per emotion, whether that
holds here (``rises_with_label``: every window column non-decreasing from level 1 to 3; ``rises_as_window_
shrinks``: every level row non-decreasing from 20 to 2 frames).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

import emohead
from emohead.eval.emotion_classifier import load_fer
from emohead.motion.emospeaker.model import LEVELS, WINDOWS, EmoSpeakerMotionModel
from emotion import PORTRAITS, SHARED, VOICE, fer_index, fer_probs, portrait_image  # benchmarks/emotion.py, beside this file

EMOTIONS = ("happy", "sad", "angry", "fear", "surprise", "disgust")


def measure(fer, analysed: dict, weights: str | None) -> dict:
    models = {(lv, w): EmoSpeakerMotionModel(weights, window=w, intensity_level=lv) for lv in LEVELS for w in WINDOWS}
    renderers = {name: emohead.load_renderer("warp", inputs.portrait) for name, inputs in analysed.items()}
    matrix = {}
    for emotion in EMOTIONS:
        cells = np.zeros((len(LEVELS), len(WINDOWS)))
        for li, level in enumerate(LEVELS):
            for wi, window in enumerate(WINDOWS):
                model = models[level, window]
                probs = []
                for name, inputs in analysed.items():
                    probs.append(fer_probs(fer, renderers[name], model.generate(inputs.with_emotion(emotion)))[fer_index(emotion)])
                cells[li, wi] = float(np.mean(probs))
        matrix[emotion] = cells
        print(f"{emotion:9s}" + "  ".join(" ".join(f"{v:.3f}" for v in row) for row in cells), flush=True)
    return matrix


def heatmap(matrix: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [(f"{e}_{lv}", matrix[e][li]) for e in EMOTIONS for li, lv in enumerate(LEVELS)]
    data = np.array([r for _, r in rows])
    fig, ax = plt.subplots(figsize=(5.5, 7))
    im = ax.imshow(data, cmap="viridis", aspect="auto", vmin=0, vmax=max(0.5, float(data.max())))
    ax.set_xticks(range(len(WINDOWS)), [f"FL_{w}" for w in WINDOWS])
    ax.set_yticks(range(len(rows)), [name for name, _ in rows])
    for i in range(data.shape[0]):
        for j in range(data.shape[1]):
            ax.text(j, i, f"{data[i, j]:.2f}", ha="center", va="center", color="w" if data[i, j] < 0.35 else "k", fontsize=7)
    ax.set_title("EmoSpeaker intensity matrix: FER P(requested)\nheld-back portraits and voice")
    fig.colorbar(im, ax=ax, fraction=0.05)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fer-weights", required=True)
    ap.add_argument("--weights", help="EmoSpeaker weights folder (default: bundled)")
    ap.add_argument("--json", type=Path, default=Path("benchmarks/emospeaker_matrix.json"))
    ap.add_argument("--png", type=Path, default=Path("benchmarks/emospeaker_matrix.png"))
    args = ap.parse_args()
    t0 = time.time()
    fer = load_fer(args.fer_weights)
    analysed = {Path(rel).stem: emohead.analyze(portrait_image(rel), SHARED / VOICE[0], transcript=VOICE[1]) for rel in PORTRAITS}
    print("emotion  " + "  ".join(f"level {lv}: " + " ".join(f"FL_{w}" for w in WINDOWS) for lv in LEVELS))
    matrix = measure(fer, analysed, args.weights)
    report = {
        "portraits": list(analysed),
        "voice": VOICE[0],
        "levels": list(LEVELS),
        "windows": list(WINDOWS),
        "p_requested": {e: m.round(4).tolist() for e, m in matrix.items()},
        "rises_with_label": {e: bool(np.all(np.diff(m, axis=0) >= -1e-3)) for e, m in matrix.items()},
        "rises_as_window_shrinks": {e: bool(np.all(np.diff(m, axis=1) >= -1e-3)) for e, m in matrix.items()},
        "level_3_minus_level_1": {e: round(float((m[2] - m[0]).mean()), 4) for e, m in matrix.items()},
        "window_2_minus_window_20": {e: round(float((m[:, -1] - m[:, 0]).mean()), 4) for e, m in matrix.items()},
        "seconds": round(time.time() - t0, 1),
    }
    args.json.write_text(json.dumps(report, indent=1) + "\n")
    heatmap(matrix, args.png)
    for key in ("rises_with_label", "rises_as_window_shrinks", "level_3_minus_level_1", "window_2_minus_window_20"):
        print(key, report[key])
    print(f"wrote {args.json} and {args.png} in {report['seconds']:.0f} s")


if __name__ == "__main__":
    main()
