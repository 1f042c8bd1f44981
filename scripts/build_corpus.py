"""Build the training corpus for emohead's bundled weights from the real clips in shared/data.

    python scripts/build_corpus.py --data ../shared/data/video -o corpus [--workers 2] [--whisper-features]

(``--whisper-features`` also stores whisper's encoder states, the speech input of medtalk, mfetalk and emospeaker; the
bundled weights were trained on a corpus built with it: 818 s on 2 cores.)

1. ``emohead prepare`` each real collection in its own layout: CREMA-D (cremad), GRID (grid, one
   speaker per clip in the flat sample folder), and the two others (folder format, with the HDTF
   clip's separate wav and the weekly address's picture offset, ``emohead.data.corpus.AV_OFFSETS``, in a labels.csv).
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
from emohead.data.corpus import AV_OFFSETS, DUPLICATES, HELD_OUT_REAL, augment


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True, help="shared/data/video")
    ap.add_argument("-o", "--out", type=Path, required=True)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--no-grid-s1", action="store_true", help="leave out grid_s1 (1000 GRID sentences of speaker s1)")
    ap.add_argument("--prepare-only", action="store_true", help="prepare the real clips, add no synthetic rows yet")
    ap.add_argument(
        "--whisper-features",
        action="store_true",
        help="also store whisper tiny.en encoder states (the asr extra; the speech input of medtalk, mfetalk and emospeaker)",
    )
    ap.add_argument("--synthetic-per-speaker", type=int, default=60, help="real clips per speaker given synthetic rows")
    args = ap.parse_args()
    t0 = time.time()
    test = list(HELD_OUT_REAL.values())
    opts = dict(workers=args.workers, test_speakers=test, progress=True, whisper_features=args.whisper_features)
    with tempfile.TemporaryDirectory() as tmp:  # the GRID samples without the one that duplicates an s1 recording
        grid = Path(tmp)
        for clip in (args.data / "grid").iterdir():
            if f"grid/{clip.name}" not in DUPLICATES or args.no_grid_s1:
                (grid / clip.name).symlink_to(clip.resolve())
        print(prepare(args.data / "cremad", "cremad", args.out, **opts).summary())
        print(prepare(grid, "grid", args.out, **opts).summary())
    if not args.no_grid_s1 and (args.data / "grid_s1").is_dir():
        print(prepare(args.data / "grid_s1", "grid", args.out, **opts).summary())
    with tempfile.TemporaryDirectory() as tmp:
        stage = Path(tmp)
        other = (args.data / "other").resolve()
        (stage / "obama.mp4").symlink_to(other / "obama_weekly_address.mp4")
        (stage / "klobuchar.mp4").symlink_to(other / "hdtf_klobuchar_silent.mp4")
        (stage / "klobuchar.wav").symlink_to(other / "hdtf_klobuchar.wav")
        with open(stage / "labels.csv", "w", newline="") as f:
            w = csv.writer(f)
            w.writerows(
                [
                    ["file", "emotion", "intensity", "speaker", "audio", "av_offset"],
                    ["obama.mp4", "neutral", "", "obama", "", AV_OFFSETS["other/obama_weekly_address.mp4"]],
                    ["klobuchar.mp4", "neutral", "", "klobuchar", "klobuchar.wav", ""],
                ]
            )
        print(prepare(stage, "folder", args.out, **opts).summary())
    cache = Cache(args.out)
    n = 0 if args.prepare_only else augment(cache, skip_speakers=test, progress=True, per_speaker=args.synthetic_per_speaker)
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
