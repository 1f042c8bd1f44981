"""``emohead bench``: per-stage time, real-time factor and renderer speed on this machine.

Uses the bundled demo portrait and its speech (trimmed to ``--seconds``), no transcript (so the ASR
path runs: ``--asr``), output to a temporary folder. Figures are wall-clock seconds.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import tempfile
import time
from pathlib import Path


def _render_fps(renderer, meshes) -> float:
    t = time.perf_counter()
    for m in meshes:
        renderer.render(m)
    return len(meshes) / (time.perf_counter() - t)


def bench_models(portrait, speech, train_steps: int = 10, batch_size: int = 16) -> dict:
    """Motion-model inference speed (frames/s, motion only) and training speed (steps/s, batches of the bundled
    configs' shapes with random values: compute-bound, so the values do not matter)."""
    import emohead
    from emohead.motion import MODELS

    out = {}
    for name in MODELS:
        try:
            emohead.generate(portrait, speech, model=name)  # warm-up
            res = emohead.generate(portrait, speech, model=name)
        except Exception as err:  # noqa: BLE001 - a model without weights or torch is reported, not fatal
            out[name] = {"error": str(err).splitlines()[0]}
            print(f"{name:9s} not available: {out[name]['error']}")
            continue
        row = {"inference_fps": round(res.n_frames / res.timings["motion"], 1)}
        if name != "analytic":
            row["train_steps_per_s"] = round(_train_speed(name, train_steps, batch_size), 2)
        out[name] = row
        extra = f", training {row['train_steps_per_s']} steps/s (batch {batch_size})" if "train_steps_per_s" in row else ""
        print(f"{name:9s} motion inference {row['inference_fps']:.0f} frames/s{extra}")
    return out


def _train_speed(name: str, steps: int, batch_size: int) -> float:
    import torch

    from emohead.motion.eapc import EAPC
    from emohead.motion.mul2lm import Mul2Lm
    from emohead.train.modules import EapcModule, Mul2LmModule

    torch.manual_seed(0)
    if name == "eapc":
        module = EapcModule(EAPC.from_pretrained("eapc").train())
        batch = {"mfcc_window": torch.randn(batch_size, 25, 28, 12), "llf": torch.randn(batch_size, 25, 25), "lm": torch.randn(batch_size, 25, 136),
                 "ref": torch.randn(batch_size, 136), "mask": torch.ones(batch_size, 25), "emotion": torch.randint(0, 8, (batch_size,)),
                 "synthetic": torch.zeros(batch_size)}  # fmt: skip

        def step(opt):
            opt.zero_grad()
            module.loss(batch)[0].backward()
            opt.step()
    else:
        module = Mul2LmModule(Mul2Lm.from_pretrained("mul2lm").train())
        t = 50
        batch = {"mfcc": torch.randn(batch_size, t, 40), "text": torch.rand(batch_size, t, 227), "lm": torch.randn(batch_size, t, 204),
                 "p_id": torch.randn(batch_size, 204), "p_emo": torch.randn(batch_size, t, 204), "mask": torch.ones(batch_size, t)}  # fmt: skip

        def step(opt):  # one generator and one discriminator update, as in training
            opt.zero_grad()
            q, g, _, _ = module.g_loss(batch)
            g.backward()
            module.d_loss(batch, q).backward()
            opt.step()

    opt = torch.optim.Adam(module.parameters(), lr=1e-4)
    step(opt)
    t0 = time.perf_counter()
    for _ in range(steps):
        step(opt)
    return steps / (time.perf_counter() - t0)


def run_bench(seconds: float = 10.0, sizes=(256, 512), json_path: Path | None = None, asr: str = "auto") -> dict:
    import emohead
    from emohead.cli import demo_inputs
    from emohead.render.warp import WarpRenderer
    from emohead.text.asr import resolve_asr
    from emohead.video.io import ffmpeg_exe

    portrait, speech, _ = demo_inputs()
    asr = resolve_asr(asr, fallback="phones")
    machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores"
    report = {"machine": machine, "seconds": seconds, "asr": asr, "sizes": {}}
    print(f"emohead bench: {seconds:g} s of speech, no transcript ({asr} ASR), {machine}")
    with tempfile.TemporaryDirectory() as tmp:
        audio = Path(tmp) / "speech.wav"
        subprocess.run([ffmpeg_exe(), "-v", "error", "-stream_loop", "-1", "-i", str(speech), "-t", str(seconds), str(audio)], check=True)
        emohead.generate(portrait, audio, size=256, asr=asr)  # warm-up: first imports and model loads
        for size in sizes:
            res = emohead.generate(portrait, audio, output=Path(tmp) / f"out{size}.mp4", size=size, asr=asr)
            renderer = WarpRenderer(res.portrait)
            meshes = res.motion.mesh()
            render_fps = _render_fps(renderer, meshes)
            total = sum(res.timings.values())
            row = {"stages_s": {k: round(v, 3) for k, v in res.timings.items()}, "total_s": round(total, 3),
                   "realtime_factor": round(total / res.duration, 3), "warp_render_fps": round(render_fps, 1), "frames": res.n_frames}  # fmt: skip
            try:
                from emohead.render import load_renderer

                row["lm2vid_render_fps"] = round(_render_fps(load_renderer("lm2vid", res.portrait), meshes[:50]), 1)
            except Exception as err:  # noqa: BLE001 - no torch in a base install: reported, not fatal
                row["lm2vid_render_fps"] = f"not available: {str(err).splitlines()[0]}"
            report["sizes"][size] = row
            stages = "  ".join(f"{k} {v:.2f}s" for k, v in res.timings.items())
            print(f"{size}px  {stages}  | total {total:.2f}s  real-time factor {row['realtime_factor']:.2f} "
                  f"({1 / row['realtime_factor']:.1f}x faster than real time)  | warp renderer {render_fps:.0f} fps, "
                  f"lm2vid refiner {row['lm2vid_render_fps']} fps")  # fmt: skip
    report["models"] = bench_models(portrait, speech)
    report["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(f"peak memory {report['peak_rss_mb']:.0f} MB")
    if json_path:
        Path(json_path).write_text(json.dumps(report, indent=1) + "\n")
    return report
