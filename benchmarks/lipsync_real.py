"""Lip-sync quality on real clips: Pearson correlation between generated and real mouth opening.

    python benchmarks/lipsync_real.py [--data ../shared/data/video] [--seeds 4] [--json out.json]

Each real clip is re-created from its first frame, driven by its own audio and transcript
(CREMA-D: transcript.csv; GRID, GRID s1 included: decoded from the file name; the others have none, so emohead's
ASR path runs: whisper + forced alignment with the asr extra installed, else the phone loop). The real curve is the inner-lip distance of MediaPipe's tracked mesh over the clip's frames at
25 fps, each frame paired with its own sound (the weekly address's picture runs 7 frames ahead of its sound:
``emohead.data.corpus.AV_OFFSETS``); the generated one comes from the motion's 68 landmarks. For context, the same correlation
is given for the raw loudness of the audio (the "audio-energy mouth"). ``--seeds N`` animates each clip with seeds
0..N-1 and scores the mean over them (r and amplitude ratio; the per-seed r too): the seed moves blinks and head sway
for every model, and for mfetalk, a sampler, the motion itself, so one seed's figure is one draw of a spread.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import os
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

import emohead
from emohead import dims
from emohead.audio.features import vocal_effort_db
from emohead.data.corpus import AV_OFFSETS, HELD_OUT_REAL
from emohead.data.transcripts import grid_sentence
from emohead.errors import EmoheadError
from emohead.eval.avsync import av_offset
from emohead.face.analyze import track_video
from emohead.face.ibug68 import mouth_opening, to_ibug68
from emohead.text.asr import resolve_asr
from emohead.video.io import read_frames

VIDEO_EXT = {".mp4", ".flv", ".mpg"}
SHARED = Path(os.environ.get("EMOHEAD_SHARED", Path(__file__).resolve().parents[2] / "shared"))  # as the tests read it


def clip_inputs(path: Path) -> tuple[Path, str | None]:
    """(audio source, transcript) for a real clip: GRID's sentence is decoded from its name (grid/ and GRID s1's
    grid_s1/s1/ alike), CREMA-D's is in its transcript.csv, the other clips have none (the ASR path runs)."""
    if path.parent.name == "grid" or path.parent.parent.name == "grid_s1":
        return path, grid_sentence(path.stem)
    if path.parent.name == "cremad":
        rows = {r["name"]: r["transcript"] for r in csv.DictReader(open(path.parent / "transcript.csv"))}
        return path, rows.get(path.stem)
    wav = path.with_name(path.stem.replace("_silent", "") + ".wav")
    return (wav if wav.exists() else path), None


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    n = min(len(a), len(b))
    return float(np.corrcoef(a[:n], b[:n])[0, 1])


def amplitude_ratio(gen: np.ndarray, real: np.ndarray) -> float:
    """Generated over real 5-95 % range of the opening: 1 = opens as wide as the real speaker."""
    return float(np.ptp(np.percentile(gen, [5, 95])) / max(np.ptp(np.percentile(real, [5, 95])), 1e-9))


def in_step(real: np.ndarray, found: np.ndarray, av_offset: int) -> tuple[np.ndarray, np.ndarray]:
    """The real opening per frame of sound, for a clip whose picture lags its sound by ``av_offset`` frames (negative:
    runs ahead; ``emohead.data.corpus.AV_OFFSETS``): frame t of the result is what the face did at the sound's t.
    Frames the picture does not cover count as not found."""
    if av_offset == 0:
        return real, found
    k = abs(av_offset)
    pad_r, pad_f = np.full(k, float(np.mean(real)), real.dtype), np.zeros(k, bool)
    if av_offset > 0:  # the sound's t is in the picture's t + k
        return np.concatenate([real[k:], pad_r]), np.concatenate([found[k:], pad_f])
    return np.concatenate([pad_r, real[:-k]]), np.concatenate([pad_f, found[:-k]])


def real_opening(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(the real inner-lip opening per frame of the clip's sound, in eye-distances; whether a face was found there):
    MediaPipe's tracked mesh at 25 fps, the picture put in step with its sound (``AV_OFFSETS``)."""
    pts, _, found = track_video(path, fps=dims.FPS)
    return in_step(mouth_opening(to_ibug68(pts)), found, AV_OFFSETS.get(f"{path.parent.name}/{path.name}", 0))


def evaluate(path: Path, models: list[str], weights: dict[str, str] | None = None, seeds: int = 1) -> list[dict]:
    """One row per model for a real clip: its inputs are analysed once, each model animates them with seeds 0 to
    ``seeds`` - 1; r and the amplitude ratio are the means over the seeds (``pearson_by_seed``: each seed's r)."""
    audio, transcript = clip_inputs(path)
    first = next(read_frames(path))
    real, found = real_opening(path)
    name = f"{path.parent.name}/{path.name}"
    inputs = emohead.analyze(first.copy(), audio, transcript=transcript)
    energy = inputs.audio.energy_db
    speech = {  # per-utterance context: how loud the speech swings, how fast it goes
        "loudness_range_db": float(np.percentile(energy, 95) - np.percentile(energy, 10)),
        "phones_per_s": sum(p.label != "SIL" for p in inputs.phones) / max(inputs.duration, 1e-6),
        "vocal_effort_db": float(np.median(vocal_effort_db(inputs.audio.mfcc100, inputs.n_frames))),
    }
    rows = []
    for model in models:
        animate = emohead.load_motion_model(model, weights=(weights or {}).get(model)).generate
        gens = [mouth_opening(animate(dataclasses.replace(inputs, seed=seed)).lm68()) for seed in range(seeds)]
        ok = found[: min(len(found), *(len(g) for g in gens))]
        r, gs = real[: len(ok)][ok], [g[: len(ok)][ok] for g in gens]
        # the real curve plays the "video", the generated one the reference: a positive offset means the real video lags
        lag, best = av_offset(np.where(found, real, np.nanmean(real))[: len(ok)], gens[0][: len(ok)], max_offset=5)
        rows.append(
            {
                "clip": name,
                "model": model,
                "held_out": name in HELD_OUT_REAL,
                "transcript": transcript or f"(none: {resolve_asr('auto', fallback='phones')} ASR)",
                "frames": int(ok.sum()),
                "pearson": float(np.mean([pearson(r, g) for g in gs])),
                "pearson_by_seed": [round(pearson(r, g), 4) for g in gs],
                "pearson_energy": pearson(r, energy[: len(ok)][ok]),
                "pearson_best_offset": best,
                "offset_frames": lag,
                "amplitude_ratio": float(np.mean([amplitude_ratio(g, r) for g in gs])),
                **speech,
            }
        )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=SHARED / "data" / "video", help="real clips (default: %(default)s)")
    ap.add_argument("--exclude", nargs="*", default=["grid_s1"], help="sub-folders left out (default: grid_s1, 1000 clips)")
    ap.add_argument("--models", nargs="+", default=["analytic"], help="motion models to score (default: analytic)")
    ap.add_argument("--weights", nargs="*", default=[], metavar="MODEL=DIR", help="trained weights instead of the bundled ones")
    ap.add_argument(
        "--grid-s1",
        metavar="A:B",
        help="also score GRID s1 sentences A..B in clip-id order, summarised apart (800:1000: sentences the analytic "
        "model's viseme fit, 60:760, and mouth calibration, 0:60, never saw; the trained models trained on all 1000)",
    )
    ap.add_argument("--seeds", type=int, default=1, help="animate each clip with seeds 0..N-1 and score the mean (default 1: seed 0 only)")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    if args.seeds < 1:
        ap.error(f"--seeds {args.seeds}: give how many seeds to average, 1 or more")
    t0 = time.time()
    paths = [
        p for p in sorted(args.data.rglob("*")) if p.suffix.lower() in VIDEO_EXT and p.relative_to(args.data).parts[0] not in args.exclude
    ]
    if not paths:
        ap.error(f"no real clips (.mp4, .flv, .mpg) under {args.data}: pass --data ../shared/data/video or set EMOHEAD_SHARED")
    sentences = []
    if args.grid_s1:
        a, b = (int(v) for v in args.grid_s1.split(":"))
        sentences = sorted((args.data / "grid_s1" / "s1").glob("*.mp4"))[a:b]
    weights = dict(w.split("=", 1) for w in args.weights)
    extra = []
    for path in tqdm(sentences, desc="GRID s1", unit="clip", disable=not sentences):
        try:
            extra += evaluate(path, args.models, weights, args.seeds)
        except EmoheadError as err:  # e.g. no face in a clip's first frame: reported, not fatal
            tqdm.write(f"s1/{path.name}: skipped ({err})")
    rows = [row for p in paths for row in evaluate(p, args.models, weights, args.seeds)]
    print(f"{'clip':42s} {'model':9s} {'frames':>6s} {'r(gen)':>7s} {'amp':>5s} {'r(energy)':>9s} {'best r @ offset':>16s}  transcript")
    for r in rows:
        best = f"{r['pearson_best_offset']:.3f} @ {r['offset_frames']:+d}"
        clip = r["clip"] + (" *" if r["held_out"] else "")
        print(
            f"{clip:42s} {r['model']:9s} {r['frames']:6d} {r['pearson']:7.3f} {r['amplitude_ratio']:5.2f} {r['pearson_energy']:9.3f} "
            f"{best:>16s}  {r['transcript']}"
        )
    summary = {}
    seeds_txt = f" and {args.seeds} seeds" if args.seeds > 1 else ""
    for model in args.models:
        mine = [r for r in rows if r["model"] == model]
        held = [r for r in mine if r["held_out"]]
        amps = [r["amplitude_ratio"] for r in mine]
        summary[model] = {
            "mean_pearson": float(np.mean([r["pearson"] for r in mine])),
            "held_out_pearson": float(np.mean([r["pearson"] for r in held])) if held else None,
            "amplitude_ratio_median": float(np.median(amps)),
            "amplitude_ratio_range": [float(min(amps)), float(max(amps))],
            "clips_with_ratio_in_0.75_1.33": int(sum(0.75 <= a <= 1.33 for a in amps)),
            "clips": len(mine),
            "seeds": args.seeds,
        }
        s = summary[model]
        held_txt = f"{s['held_out_pearson']:.3f}" if held else "n/a"
        if held and args.seeds > 1:
            s["held_out_pearson_by_seed"] = [round(float(np.mean([r["pearson_by_seed"][i] for r in held])), 4) for i in range(args.seeds)]
            held_txt += f", by seed {min(s['held_out_pearson_by_seed']):.3f}-{max(s['held_out_pearson_by_seed']):.3f}"
        print(
            f"{model:9s} mean r {s['mean_pearson']:.3f} over {len(mine)} clips{seeds_txt} (held back: {held_txt}); amplitude ratio median "
            f"{s['amplitude_ratio_median']:.2f}, range {s['amplitude_ratio_range'][0]:.2f}-{s['amplitude_ratio_range'][1]:.2f}, "
            f"{s['clips_with_ratio_in_0.75_1.33']}/{len(mine)} clips within 0.75-1.33"
        )
    for model in args.models if extra else ():
        mine = [r for r in extra if r["model"] == model]
        amps = [r["amplitude_ratio"] for r in mine]
        summary[model]["grid_s1"] = {
            "sentences": args.grid_s1,
            "mean_pearson": float(np.mean([r["pearson"] for r in mine])),
            "amplitude_ratio_median": float(np.median(amps)),
        }
        print(
            f"{model:9s} GRID s1 sentences {args.grid_s1}: mean r {summary[model]['grid_s1']['mean_pearson']:.3f} over {len(mine)}, "
            f"amplitude ratio median {np.median(amps):.2f}, {sum(0.75 <= a <= 1.33 for a in amps)}/{len(mine)} within 0.75-1.33"
        )
    energy = float(np.mean([r["pearson_energy"] for r in rows if r["model"] == args.models[0]]))
    print(f"loudness alone: mean r {energy:.3f}   ({time.time() - t0:.0f} s)")
    if args.json:
        args.json.write_text(json.dumps({"clips": rows + extra, "models": summary, "mean_pearson_energy": energy}, indent=1) + "\n")


if __name__ == "__main__":
    main()
