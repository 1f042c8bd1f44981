"""Build the training corpus for emohead's bundled weights from the real clips in shared/data.

    python scripts/build_corpus.py --data ../shared/data/video -o corpus [--workers 2]

1. ``emohead prepare`` each real collection in its own layout: CREMA-D (cremad), GRID (grid, one
   speaker per clip in the flat sample folder), and the two others (folder format, with the HDTF
   clip's separate wav named in a labels.csv).
2. Hold back ``emohead.data.corpus.HELD_OUT_REAL`` as the test split (speaker-disjoint; never trained
   on, and left out of the face-model fit).
3. Add synthetic rows: every other real clip x 7 emotions x 3 intensity levels + neutral
   (``emohead.data.corpus``), marked synthetic in the index.
Rerunning skips everything already in the cache.
"""

from __future__ import annotations

import argparse
import csv
import tempfile
import time
from pathlib import Path

from emohead import dims
from emohead.data.cache import Cache, prepare
from emohead.data.corpus import HELD_OUT_REAL, augment


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True, help="shared/data/video")
    ap.add_argument("-o", "--out", type=Path, required=True)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    t0 = time.time()
    test = list(HELD_OUT_REAL.values())
    for sub, fmt in (("cremad", "cremad"), ("grid", "grid")):
        print(prepare(args.data / sub, fmt, args.out, workers=args.workers, test_speakers=test, progress=True).summary())
    with tempfile.TemporaryDirectory() as tmp:
        stage = Path(tmp)
        other = args.data / "other"
        (stage / "obama.mp4").symlink_to(other / "obama_weekly_address.mp4")
        (stage / "klobuchar.mp4").symlink_to(other / "hdtf_klobuchar_silent.mp4")
        (stage / "klobuchar.wav").symlink_to(other / "hdtf_klobuchar.wav")
        with open(stage / "labels.csv", "w", newline="") as f:
            w = csv.writer(f)
            w.writerows(
                [
                    ["file", "emotion", "intensity", "speaker", "audio"],
                    ["obama.mp4", "neutral", "", "obama", ""],
                    ["klobuchar.mp4", "neutral", "", "klobuchar", "klobuchar.wav"],
                ]
            )
        print(prepare(stage, "folder", args.out, workers=args.workers, test_speakers=test, progress=True).summary())
    cache = Cache(args.out)
    n = augment(cache, skip_speakers=test, progress=True)
    rows = cache.write_index(test_speakers=test)
    real = [r for r in rows if not r["synthetic"]]
    print(f"synthetic rows added now: {n}")
    for split in ("train", "val", "test"):
        part = [r for r in rows if r["split"] == split]
        print(
            f"{split:5s}: {sum(not r['synthetic'] for r in part)} real + {sum(r['synthetic'] for r in part)} synthetic clips, "
            f"{sum(r['n_frames'] for r in part)} frames"
        )
    print(
        f"real: {len(real)} clips, {sum(r['n_frames'] for r in real) / dims.FPS / 60:.2f} min; total {len(rows)} rows; {time.time() - t0:.0f} s"
    )


if __name__ == "__main__":
    main()
