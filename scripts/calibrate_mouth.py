"""Calibrate how wide a motion model opens the mouth, on real talking video (never on held-back clips).

    python scripts/calibrate_mouth.py [--data ../shared/data/video] [--grid-s1 60] [--model analytic]
    python scripts/calibrate_mouth.py --model emospeaker --write src/emohead/assets/weights/emospeaker

The analytic model's scale is the constant ``MOUTH_SCALE`` in its code; a trained model's is ``mouth.json``
beside its weights (``--write DIR``: the gain that makes the median ratio over speakers 1, measured with the
gain that DIR already has, so running it again refines it; ``"heard": true`` there, whisper's heard mouth mixed in
at ``"heard_share"``, is measured with and kept).

For each calibration clip (every real clip outside ``emohead.data.corpus.HELD_OUT_REAL`` in cremad/, grid/ and
other/, plus the first ``--grid-s1`` GRID s1 sentences), the clip is re-created from its first frame with its
own audio and transcript (``benchmarks/lipsync_real.py``), and the amplitude ratio is measured: generated over
real 5-95 % range of the inner-lip opening, in eye-distances. Printed:
- the median ratio over speakers (each speaker's median, so the 60 s1 sentences count as one speaker; the scale
  that makes it 1 is ``1 / median``);
- the timing: how many frames the real mouth lags the generated one at each clip's best offset (the analytic
  model's ``VISEME_LAG``);
- how the per-clip ratio correlates with candidate per-utterance predictors (the loudness range of the speech
  in dB, the speaking rate in phones per second, and the vocal effort in dB,
  ``emohead.audio.features.vocal_effort_db``, a spectral tilt that also depends on the microphone), over all
  clips and within each recording set;
- the slope of the log ratio on the vocal effort (the error in the analytic ``EFFORT_SLOPE``), and whether a
  speaker left out of the fit is predicted within 0.75-1.33, which decides whether a per-utterance scale is
  supported by the data.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from emohead.data.corpus import DUPLICATES, HELD_OUT_REAL  # noqa: E402
from emohead.errors import EmoheadError  # noqa: E402
from lipsync_real import SHARED, VIDEO_EXT, evaluate  # noqa: E402


def speaker(clip: str) -> str:
    """Who speaks in a calibration clip: CREMA-D's clips here are one actor, GRID s1 one speaker, the rest one each."""
    return clip.split("/")[0] if clip.split("/")[0] in ("cremad", "s1") else clip


def report_effort(rows: list[dict], ratios: np.ndarray, model: str) -> None:
    """How the log ratio follows the vocal effort (its slope is the error in the analytic ``EFFORT_SLOPE``), and
    whether that holds for speakers the fit did not see: leave each speaker out, fit the rest, predict it."""
    effort, log_ratio = np.array([r["vocal_effort_db"] for r in rows]), np.log(ratios)
    speakers = np.array([speaker(r["clip"]) for r in rows])
    slope, _ = np.polyfit(effort, log_ratio, 1)
    meaning = " (the analytic EFFORT_SLOPE minus the real one)" if model == "analytic" else ""
    print(f"log ratio on vocal effort: slope {slope:+.4f} per dB{meaning}")
    held = {"the model's scale as it is": [], "plus a refitted effort slope": []}
    per_speaker = []
    for s in sorted(set(speakers)):
        out = speakers == s
        b, a = np.polyfit(effort[~out], log_ratio[~out], 1)
        as_is, refitted = log_ratio[out] - np.median(log_ratio[~out]), log_ratio[out] - (b * effort[out] + a)
        held["the model's scale as it is"] += list(as_is)
        held["plus a refitted effort slope"] += list(refitted)
        per_speaker.append(f"{s.split('/')[-1]} {np.exp(np.median(as_is)):.2f} / {np.exp(np.median(refitted)):.2f}")
    for name, res in held.items():
        within = np.mean(np.abs(np.array(res)) <= np.log(1.33))
        print(
            f"  each of {len(set(speakers))} speakers predicted from the others, {name}: mean |log ratio| {np.mean(np.abs(res)):.3f}, {within:.0%} of clips within 0.75-1.33"
        )
    print(f"  each speaker's median left-out ratio, as it is / refitted: {', '.join(per_speaker)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=SHARED / "data" / "video", help="real clips (default: %(default)s)")
    ap.add_argument("--grid-s1", type=int, default=60, help="GRID s1 sentences to use (default %(default)s)")
    ap.add_argument("--model", default="analytic", help="motion model to calibrate (default %(default)s)")
    ap.add_argument("--write", type=Path, help="weights folder whose mouth.json gets the new gain (trained models)")
    args = ap.parse_args()
    t0 = time.time()
    clips = [p for sub in ("cremad", "grid", "other") for p in sorted((args.data / sub).glob("*")) if p.suffix.lower() in VIDEO_EXT]
    clips = [p for p in clips if f"{p.parent.name}/{p.name}" not in HELD_OUT_REAL and f"{p.parent.name}/{p.name}" not in DUPLICATES]
    clips += sorted((args.data / "grid_s1" / "s1").glob("*.mp4"))[: args.grid_s1]
    if not clips:
        ap.error(f"no real clips under {args.data}: pass --data ../shared/data/video or set EMOHEAD_SHARED")
    rows = []
    for path in clips:
        try:
            (row,) = evaluate(path, [args.model], {args.model: str(args.write)} if args.write else None)
        except EmoheadError as err:  # e.g. no face in a clip's first frame: reported, not fatal
            print(f"{path.parent.name}/{path.name}: skipped ({err})")
            continue
        rows.append(row)
        print(f"{row['clip']:40s} r {row['pearson']:.3f}  amplitude ratio {row['amplitude_ratio']:.2f}", flush=True)
    ratios = np.array([r["amplitude_ratio"] for r in rows])
    speakers = np.array([speaker(r["clip"]) for r in rows])
    # each speaker counts once: the 60 s1 sentences are one person's mouth, and the trained models trained on them
    typical = float(np.median([np.median(ratios[speakers == s]) for s in sorted(set(speakers))]))
    print(
        f"{len(rows)} calibration clips of {len(set(speakers))} speakers: amplitude ratio median {typical:.3f} over speakers "
        f"(the scale to make it 1: {1 / typical:.3f}; over clips {np.median(ratios):.3f}); "
        f"spread 5-95 % {np.percentile(ratios, 5):.2f}-{np.percentile(ratios, 95):.2f}; mean r {np.mean([r['pearson'] for r in rows]):.3f}"
    )
    lags = np.array([r["offset_frames"] for r in rows])
    print(
        f"timing: lag of the real mouth behind the generated one at the best offset, median {np.median(lags):+.0f} frames "
        f"(per lag -5..+5: {' '.join(str(int(c)) for c in np.bincount(lags + 5, minlength=11))}); "
        f"mean r at offset 0 {np.mean([r['pearson'] for r in rows]):.3f}, at each clip's best {np.mean([r['pearson_best_offset'] for r in rows]):.3f}"
    )
    groups = np.array([r["clip"].split("/")[0] for r in rows])
    for key in ("loudness_range_db", "phones_per_s", "vocal_effort_db"):
        values = np.array([r[key] for r in rows])
        within = ", ".join(
            f"{g} {np.corrcoef(values[groups == g], ratios[groups == g])[0, 1]:+.2f}"
            for g in sorted(set(groups))
            if (groups == g).sum() > 2
        )
        print(f"correlation of the ratio with {key}: {np.corrcoef(values, ratios)[0, 1]:+.2f} (within each recording set: {within})")
    report_effort(rows, ratios, args.model)
    if args.write:
        import json

        target = args.write / "mouth.json"
        before = json.loads(target.read_text()) if target.is_file() else {}
        old = before.get("gain", 1.0)
        gain = round(old / typical, 3)
        doc = {
            "gain": gain,
            **{k: before[k] for k in ("heard", "heard_share") if k in before},  # measured with them as the folder says: kept
            "median_ratio_before": round(typical, 3),  # the median over speakers of each speaker's median
            "clips": len(rows),
            "speakers": len(set(speakers)),
            "command": " ".join(sys.argv),
        }
        target.write_text(json.dumps(doc, indent=1) + "\n")
        print(f"wrote {target}: gain {old:.3f} -> {gain:.3f}")
    print(f"{time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
