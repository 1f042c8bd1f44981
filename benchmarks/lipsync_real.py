"""Lip-sync quality on real clips: Pearson correlation between generated and real mouth opening.

    python benchmarks/lipsync_real.py [--data ../shared/data/video] [--json out.json]

Each real clip is re-created from its first frame, driven by its own audio and transcript
(CREMA-D: transcript.csv; GRID: decoded from the file name; the others have none, so emohead's
ASR path runs: whisper + forced alignment with the asr extra installed, else the phone loop). The real curve is the inner-lip distance of MediaPipe's tracked mesh over the clip's frames at
25 fps; the generated one comes from the motion's 68 landmarks. For context, the same correlation
is given for the raw loudness of the audio (the "audio-energy mouth").
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path

import numpy as np

import emohead
from emohead import dims
from emohead.data.corpus import HELD_OUT_REAL
from emohead.data.transcripts import grid_sentence
from emohead.eval.avsync import av_offset
from emohead.face.analyze import track_video
from emohead.face.ibug68 import mouth_opening, to_ibug68
from emohead.text.asr import resolve_asr
from emohead.video.io import read_frames

VIDEO_EXT = {".mp4", ".flv", ".mpg"}


def clip_inputs(path: Path) -> tuple[Path, str | None]:
    """(audio source, transcript) for a real clip."""
    if path.parent.name == "grid":
        return path, grid_sentence(path.stem)
    if path.parent.name == "cremad":
        rows = {r["name"]: r["transcript"] for r in csv.DictReader(open(path.parent / "transcript.csv"))}
        return path, rows.get(path.stem)
    wav = path.with_name(path.stem.replace("_silent", "") + ".wav")
    return (wav if wav.exists() else path), None


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    n = min(len(a), len(b))
    return float(np.corrcoef(a[:n], b[:n])[0, 1])


def evaluate(path: Path) -> dict:
    audio, transcript = clip_inputs(path)
    first = next(read_frames(path))
    pts, _, found = track_video(path, fps=dims.FPS)
    real = mouth_opening(to_ibug68(pts))
    inputs = emohead.analyze(first.copy(), audio, transcript=transcript)
    gen = mouth_opening(emohead.load_motion_model("analytic").generate(inputs).lm68())
    energy = inputs.audio.energy_db
    ok = found[: min(len(found), len(gen))]
    # the real curve plays the "video", the generated one the reference: a positive offset means the real video lags
    lag, best = av_offset(np.where(found, real, np.nanmean(real))[: len(ok)], gen[: len(ok)], max_offset=5)
    name = f"{path.parent.name}/{path.name}"
    return {
        "clip": name,
        "held_out": name in HELD_OUT_REAL,
        "transcript": transcript or f"(none: {resolve_asr('auto', fallback='phones')} ASR)",
        "frames": int(ok.sum()),
        "pearson": pearson(real[: len(ok)][ok], gen[: len(ok)][ok]),
        "pearson_energy": pearson(real[: len(ok)][ok], energy[: len(ok)][ok]),
        "pearson_best_offset": best,
        "offset_frames": lag,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data" / "video")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    t0 = time.time()
    rows = [evaluate(p) for p in sorted(args.data.rglob("*")) if p.suffix.lower() in VIDEO_EXT]
    print(f"{'clip':42s} {'frames':>6s} {'r(gen)':>7s} {'r(energy)':>9s} {'best r @ offset':>16s}  transcript")
    for r in rows:
        best = f"{r['pearson_best_offset']:.3f} @ {r['offset_frames']:+d}"
        clip = r["clip"] + (" *" if r["held_out"] else "")
        print(f"{clip:42s} {r['frames']:6d} {r['pearson']:7.3f} {r['pearson_energy']:9.3f} {best:>16s}  {r['transcript']}")
    mean = float(np.mean([r["pearson"] for r in rows]))
    mean_e = float(np.mean([r["pearson_energy"] for r in rows]))
    print(f"{'mean over ' + str(len(rows)) + ' clips':42s} {'':6s} {mean:7.3f} {mean_e:9.3f}   ({time.time() - t0:.0f} s)")
    held = [r for r in rows if r["held_out"]]
    if held:
        print(
            f"{'* held back (never fitted or trained on)':42s} {'':6s} {np.mean([r['pearson'] for r in held]):7.3f} "
            f"{np.mean([r['pearson_energy'] for r in held]):9.3f}"
        )
    if args.json:
        args.json.write_text(json.dumps({"clips": rows, "mean_pearson": mean, "mean_pearson_energy": mean_e}, indent=1) + "\n")


if __name__ == "__main__":
    main()
