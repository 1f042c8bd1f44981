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
            t = time.perf_counter()
            for m in meshes:
                renderer.render(m)
            render_fps = len(meshes) / (time.perf_counter() - t)
            total = sum(res.timings.values())
            row = {"stages_s": {k: round(v, 3) for k, v in res.timings.items()}, "total_s": round(total, 3),
                   "realtime_factor": round(total / res.duration, 3), "warp_render_fps": round(render_fps, 1), "frames": res.n_frames}  # fmt: skip
            report["sizes"][size] = row
            stages = "  ".join(f"{k} {v:.2f}s" for k, v in res.timings.items())
            print(f"{size}px  {stages}  | total {total:.2f}s  real-time factor {row['realtime_factor']:.2f} "
                  f"({1 / row['realtime_factor']:.1f}x faster than real time)  | warp renderer {render_fps:.0f} fps")  # fmt: skip
    report["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(f"peak memory {report['peak_rss_mb']:.0f} MB")
    if json_path:
        Path(json_path).write_text(json.dumps(report, indent=1) + "\n")
    return report
