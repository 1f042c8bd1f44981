"""``emohead bench``: per-stage time, real-time factor, renderer speed and every registered model's speed.

Uses the bundled demo portrait and its speech (trimmed to ``--seconds``), no transcript (so the ASR
path runs: ``--asr``), output to a temporary folder. Figures are wall-clock seconds. The model and
renderer sections come from the registries: every registered motion model gets an inference row (on
inputs analysed once) and, when it is trainable, a training row (one real optimisation step of its own
training module on batches of its own shapes).
"""

from __future__ import annotations

import json
import os
import platform
import resource
import tempfile
import time
from pathlib import Path

from emohead.errors import EmoheadError


def _render_fps(renderer, meshes) -> float:
    t = time.perf_counter()
    for m in meshes:
        renderer.render(m)
    return len(meshes) / (time.perf_counter() - t)


def bench_models(inputs, names=None, train_steps: int = 10, batch_size: int = 16) -> dict:
    """Motion-model inference speed (frames/s, motion only, on ``inputs`` analysed once) and training speed
    (steps/s on random batches of the model's own shapes: compute-bound, so the values do not matter)."""
    import emohead
    from emohead.motion import specs

    out = {}
    for name, spec in specs().items():
        if names and name not in names:
            continue
        try:
            model = emohead.load_motion_model(name)
            asked = inputs.with_emotion("happy") if "label" in spec.conditions else inputs  # an emotion, as users ask
            model.generate(asked)  # warm-up
            t = time.perf_counter()
            motion = model.generate(asked)
            row = {"inference_fps": round(len(motion) / (time.perf_counter() - t), 1)}
            if "steps" in spec.options:  # a sampler: its speed at several step counts
                row["inference_fps_by_steps"] = {}
                for steps in (10, 25, 50):
                    sampler = emohead.load_motion_model(name, steps=steps)
                    t = time.perf_counter()
                    motion = sampler.generate(asked)
                    row["inference_fps_by_steps"][steps] = round(len(motion) / (time.perf_counter() - t), 1)
            if spec.trainable:
                speeds = {s: round(train_speed(spec, train_steps, batch_size, stage=s), 2) for s in spec.stages} if spec.stages else {}
                row["train_steps_per_s"] = min(speeds.values()) if speeds else round(train_speed(spec, train_steps, batch_size), 2)
                if speeds:
                    row["train_steps_per_s_by_stage"] = speeds
        except (EmoheadError, ImportError) as err:  # a model without its extra installed is reported, not fatal
            out[name] = {"error": str(err).splitlines()[0]}
            print(f"{name:9s} not available: {out[name]['error']}")
            continue
        out[name] = row
        extra = f", training {row['train_steps_per_s']} steps/s (batch {batch_size})" if "train_steps_per_s" in row else ""
        if "inference_fps_by_steps" in row:
            extra += " (" + ", ".join(f"{k} steps: {v:.0f} frames/s" for k, v in row["inference_fps_by_steps"].items()) + ")"
        if "train_steps_per_s_by_stage" in row:
            extra += " at the slowest stage (" + ", ".join(f"{k} {v}" for k, v in row["train_steps_per_s_by_stage"].items()) + ")"
        print(f"{name:9s} motion inference {row['inference_fps']:.0f} frames/s{extra}")
    return out


def train_speed(spec, steps: int = 10, batch_size: int = 16, **module_args) -> float:
    """Optimisation steps per second of ``spec``'s training module on its bundled (or default) network
    (``module_args``: e.g. the stage of a model trained in stages)."""
    import torch

    torch.manual_seed(0)
    net_cls = spec.load(spec.network)
    net = net_cls.from_pretrained(spec.weights_location) if spec.weights else net_cls(**spec.default_config.get("model", {}))
    module = spec.load(spec.module)(net.train(), **module_args)
    batch, opts = module.random_batch(batch_size), module.bench_optimizers()
    module.optimisation_step(batch, opts)
    t0 = time.perf_counter()
    for _ in range(steps):
        module.optimisation_step(batch, opts)
    return steps / (time.perf_counter() - t0)


def run_bench(seconds: float = 10.0, sizes=(256, 512), json_path: Path | None = None, asr: str = "auto", models=None) -> dict:
    import emohead
    from emohead.assets import demo_inputs
    from emohead.outputs import atomic_path, check_writable
    from emohead.proc import run
    from emohead.render import RENDERERS, load_renderer
    from emohead.text.asr import resolve_asr
    from emohead.video.io import ffmpeg_exe

    if not 0 < seconds <= 600:
        raise EmoheadError(f"--seconds {seconds:g} is out of range; use a length from 0 to 600 seconds")
    if json_path is not None:
        check_writable(json_path, "--json report")
    portrait, speech, _ = demo_inputs()
    asr = resolve_asr(asr, fallback="phones")
    machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores"
    report = {"machine": machine, "seconds": seconds, "asr": asr, "sizes": {}}
    print(f"emohead bench: {seconds:g} s of speech, no transcript ({asr} ASR), {machine}")
    with tempfile.TemporaryDirectory() as tmp:
        audio = Path(tmp) / "speech.wav"
        run(
            [ffmpeg_exe(), "-v", "error", "-stream_loop", "-1", "-i", str(speech), "-t", str(seconds), str(audio)],
            what="cutting the demo speech",
        )
        emohead.generate(portrait, audio, size=256, asr=asr)  # warm-up: first imports and model loads
        for size in sizes:
            res = emohead.generate(portrait, audio, output=Path(tmp) / f"out{size}.mp4", size=size, asr=asr)
            meshes = res.motion.mesh()
            total = sum(res.timings.values())
            row = {
                "stages_s": {k: round(v, 3) for k, v in res.timings.items()},
                "total_s": round(total, 3),
                "realtime_factor": round(total / res.duration, 3),
                "frames": res.n_frames,
                "render_fps": {},
            }
            for name in RENDERERS:
                try:
                    renderer = load_renderer(name, res.portrait)
                    row["render_fps"][name] = round(_render_fps(renderer, meshes if name == "warp" else meshes[:50]), 1)
                except (EmoheadError, ImportError) as err:  # no torch in a base install: reported, not fatal
                    row["render_fps"][name] = f"not available: {str(err).splitlines()[0]}"
            report["sizes"][size] = row
            stages = "  ".join(f"{k} {v:.2f}s" for k, v in res.timings.items())
            renderers = ", ".join(f"{k} {v if isinstance(v, str) else f'{v:.0f} fps'}" for k, v in row["render_fps"].items())
            print(
                f"{size}px  {stages}  | total {total:.2f}s  real-time factor {row['realtime_factor']:.2f} "
                f"({1 / row['realtime_factor']:.1f}x faster than real time)  | renderers: {renderers}"
            )
        report["models"] = bench_models(res.inputs, models)
    report["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(f"peak memory {report['peak_rss_mb']:.0f} MB")
    if json_path:
        with atomic_path(Path(json_path)) as tmp:
            tmp.write_text(json.dumps(report, indent=1) + "\n")
    return report
