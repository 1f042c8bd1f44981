"""The ``emohead`` command: a thin layer over :func:`emohead.generate`.

Problems the user can fix print one line (``emohead: error: ...``) and exit 1; no partial files remain.
"""

from __future__ import annotations

import argparse
import errno
import os
import signal
import sys
import time
from pathlib import Path

from emohead import limits
from emohead.api import GenerateOptions
from emohead.data.adapters import SCANNERS
from emohead.emotion.vocabulary import EMOTIONS
from emohead.errors import EmoheadError
from emohead.motion import specs
from emohead.outputs import check_writable, stop_on_signals
from emohead.render import RENDERERS
from emohead.train.run import trainable

_DEFAULTS = GenerateOptions()
SHEET_EMOTIONS = ("neutral", "happy", "sad", "angry", "surprise")


class _Parser(argparse.ArgumentParser):
    """Usage mistakes follow the CLI's contract too: one line naming the problem, exit code 1."""

    def error(self, message: str):
        self.exit(1, f"emohead: error: {message}; see {self.prog} --help\n")


def _choices(registry) -> str:
    """'name: summary' lines of a registry, for --help."""
    return "; ".join(f"{name} ({spec.summary.split(':')[0]})" for name, spec in registry.items())


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--emotion",
        help=f"a label ({', '.join(EMOTIONS)}), a timeline such as 'neutral@0-1.5,happy:0.9@1.5-4,sad:0.6@4-', "
        "or 'voice' to read it from the voice (models that can: see --model)",
    )
    p.add_argument(
        "--intensity",
        type=float,
        help=f"emotion intensity 0..1 (above 1 exaggerates, clamped at {limits.INTENSITY_MAX:g}); default 1, "
        "except medtalk, which then predicts it per frame from the voice and words",
    )
    p.add_argument("--size", type=int, choices=limits.SIZES, default=_DEFAULTS.size, help="face crop size in pixels (default %(default)s)")
    p.add_argument("--full-frame", action="store_true", help="paste the animated face back into the whole photo")
    p.add_argument("--seed", type=int, default=_DEFAULTS.seed, help="seed for blinks and head sway (default %(default)s)")
    p.add_argument(
        "--head-motion", type=float, default=_DEFAULTS.head_motion, help="head motion scale, 0 keeps the head still (default %(default)s)"
    )
    p.add_argument("--no-blinks", action="store_true", help="do not add blinks")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="emohead", description="Emotion-controllable talking faces from one portrait and speech, offline on a CPU.")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    g = sub.add_parser(
        "generate",
        help="portrait + speech -> talking-face video and motion tracks",
        description="Animate a portrait with speech. Example: emohead generate --portrait face.jpg --audio speech.wav --emotion happy -o out.mp4",
    )
    g.add_argument("--portrait", required=True, type=Path, help="photo with one clearly visible face (jpg, png, ...)")
    g.add_argument("--audio", required=True, type=Path, help="speech: wav, flac, mp3, m4a, ogg, or a video file's audio track")
    text = g.add_mutually_exclusive_group()
    text.add_argument("--transcript", help="the words spoken (improves lip sync); without it phones are recognised from the audio")
    text.add_argument("--transcript-file", type=Path, help="text file with the words spoken")
    g.add_argument(
        "--asr",
        choices=("auto", "whisper", "phones"),
        default=_DEFAULTS.asr,
        help="without a transcript: recognise words with whisper (needs emohead[asr]) and align them, or recognise "
        "phones directly; auto = whisper when installed (default %(default)s)",
    )
    g.add_argument("--reference-portrait", type=Path, help="photo whose facial expression sets the emotion (instead of --emotion)")
    g.add_argument("--intensity-curve", help="keyframes SECONDS:INTENSITY for one --emotion label, e.g. '0:0,2:1,4:0.3' (linear between)")
    g.add_argument("--emotion-text", help="describe the expression in words, e.g. 'a faint, nervous smile' (models that can: see --model)")
    g.add_argument("--face-index", type=int, help="which face to animate when the photo has several (0 = largest)")
    g.add_argument("--model", default=_DEFAULTS.model, help=f"motion model (default %(default)s): {_model_help()}")
    g.add_argument("--renderer", default=_DEFAULTS.renderer, help=f"renderer (default %(default)s): {_choices(RENDERERS)}")
    g.add_argument(
        "--emospeaker-window",
        type=int,
        help="emospeaker: inference window (20, 15, 10, 5 or 2 frames) of the intensity matrix; default: the cell nearest --intensity",
    )
    g.add_argument(
        "--intensity-level", type=int, help="emospeaker: intensity label 1-3 of the intensity matrix (default: from --intensity)"
    )
    g.add_argument("--steps", type=int, help="mfetalk: DDIM sampling steps (default 10; more is slower and a little smoother)")
    g.add_argument(
        "--guidance", type=float, help="mfetalk: classifier-free guidance scale on the emotion (default 2; 1 = none, larger = stronger)"
    )
    g.add_argument(
        "--samples",
        type=int,
        help="mfetalk: motions drawn and averaged (default 4: steadier lip sync; 1 = one draw, about 2.7x faster sampling, more varied)",
    )
    g.add_argument(
        "--heard-mouth",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="eapc, mul2lm: take part of the mouth's shape from what whisper hears in the voice, as the default model does "
        "(default: as the weights folder's mouth.json says: on for the bundled eapc, a quarter of the shape, held-back r "
        "0.52 -> 0.61; off for mul2lm, where --heard-mouth mixes in half, 0.59 -> 0.71, the opening's range matching real "
        "speakers' a little less often)",
    )
    g.add_argument(
        "--motion-fps",
        type=float,
        help="frame rate of --export-motion / --blendshapes-csv (e.g. 60 for MEDTalk's rate; curves are interpolated, "
        "not repeated); default: the video's 25",
    )
    g.add_argument("--weights", type=Path, help="trained weights folder for a model with weights (default: the bundled ones)")
    g.add_argument("--renderer-weights", type=Path, help="trained weights folder for --renderer lm2vid (default: bundled)")
    g.add_argument("--export-motion", type=Path, help="write motion tracks: .npz (lm68, mesh, blendshapes, pose, fps) or .json")
    g.add_argument("--blendshapes-csv", type=Path, help="write the 52 blendshape curves + head rotation as a Live Link Face CSV")
    g.add_argument("--max-minutes", type=float, default=_DEFAULTS.max_minutes, help="refuse audio longer than this (default %(default)s)")
    g.add_argument("-o", "--output", type=Path, help="output video (.mp4, H.264 + AAC, 25 fps)")
    _add_common(g)

    d = sub.add_parser(
        "demo", help="animate the bundled public-domain portrait and speech", description="Run the main job on the bundled example."
    )
    d.add_argument("-o", "--output", type=Path, default=Path("emohead_demo.mp4"), help="output video (default %(default)s)")
    d.add_argument("--contact-sheet", type=Path, help=f"also write a PNG of the same frames rendered {', '.join(SHEET_EMOTIONS)}")
    _add_common(d)

    pr = sub.add_parser(
        "prepare",
        help="dataset as downloaded -> training-ready feature cache",
        description="Analyse every clip of a dataset (face track, audio features, phones) into a feature cache. "
        "Resumable: clips already in the cache are not redone.",
    )
    pr.add_argument("source", type=Path, help="the dataset folder, in its published layout")
    pr.add_argument("--format", required=True, choices=sorted(SCANNERS), help="the dataset's layout")
    pr.add_argument("-o", "--output", required=True, type=Path, help="cache folder (new, or an existing emohead cache)")
    pr.add_argument("--workers", type=int, default=1, help="parallel processes (default %(default)s)")
    pr.add_argument(
        "--split",
        choices=("speaker", "mead"),
        default="speaker",
        help="speaker-disjoint split by hash (default), or MEAD's 4 held-out test speakers",
    )
    pr.add_argument("--test-speakers", help="comma-separated speakers to hold out as the test split")
    pr.add_argument("--retry-failed", action="store_true", help="try again the clips that failed before")
    pr.add_argument(
        "--asr",
        choices=("auto", "whisper", "pocketsphinx"),
        default="auto",
        help="recogniser for clips without a transcript; auto = whisper when installed (default %(default)s)",
    )
    pr.add_argument(
        "--whisper-features",
        action="store_true",
        help="also store whisper tiny.en encoder states, the speech input medtalk, mfetalk and emospeaker train on (needs emohead[asr])",
    )
    pr.add_argument("-q", "--quiet", action="store_true", help="no progress bar")

    ev = sub.add_parser(
        "eval",
        help="the papers' metrics on real clips, beside real-video, static and audio-energy baselines",
        description="Reconstruct each test clip from its first frame, audio, transcript and emotion label; "
        "write report.md and report.json.",
    )
    ev.add_argument("--model", default=_DEFAULTS.model, help=f"motion model (default %(default)s): {', '.join(specs())}")
    ev.add_argument("--renderer", default=_DEFAULTS.renderer, help=f"renderer (default %(default)s): {', '.join(RENDERERS)}")
    ev.add_argument("--weights", type=Path, help="trained weights folder for the model (default: bundled)")
    ev.add_argument("--renderer-weights", type=Path, help="trained weights folder for the renderer (default: bundled)")
    ev.add_argument("--data", required=True, type=Path, help="an emohead cache (emohead prepare) or a folder of videos")
    ev.add_argument(
        "--split", default="test", choices=("train", "val", "test", "all"), help="cache split to evaluate (default %(default)s)"
    )
    ev.add_argument(
        "--guidance",
        default="label",
        choices=("label", "reference", "text"),
        help="how the model is told each clip's emotion: its label, its own apex frame as a reference photo, or a "
        "description in words (default %(default)s)",
    )
    ev.add_argument("--out", required=True, type=Path, help="report path without extension: writes OUT.md and OUT.json")
    ev.add_argument("--per-clip", action="store_true", help="also list clip-level values")
    ev.add_argument("--max-frames", type=int, default=250, help="frames scored per clip (default %(default)s)")
    ev.add_argument("--fer-weights", help="FER2013 mini-Xception .hdf5 for emotion accuracy (or $EMOHEAD_FER_WEIGHTS)")
    ev.add_argument("--inception-weights", help="Inception TorchScript for FID (or $EMOHEAD_INCEPTION)")
    ev.add_argument("--syncnet-weights", help="syncnet_v2.model for LSE-D/LSE-C (or $EMOHEAD_SYNCNET)")
    ev.add_argument("-q", "--quiet", action="store_true", help="no progress bar")

    tr = sub.add_parser(
        "train",
        help="train a motion model on a feature cache (Lightning; DDP under torchrun)",
        description="Train on an emohead cache; resumes from OUT/checkpoints/last.ckpt; exports OUT/weights.",
    )
    tr.add_argument("model", choices=list(trainable()), help="what to train: " + _choices(trainable()))
    tr.add_argument("--data", required=True, type=Path, help="feature cache (emohead prepare / scripts/build_corpus.py)")
    tr.add_argument("--out", required=True, type=Path, help="run folder: logs, checkpoints, weights")
    tr.add_argument(
        "--config",
        type=Path,
        help='JSON with "model", "train" and "data" sections (constructor arguments); default: the model folder\'s config.json',
    )
    tr.add_argument("--max-steps", type=int, default=-1)
    tr.add_argument("--max-epochs", type=int, default=10)
    tr.add_argument("--batch-size", type=int, default=32)
    tr.add_argument("--workers", type=int, default=0, help="dataloader workers")
    tr.add_argument("--accelerator", default="auto", help="auto, cpu or gpu")
    tr.add_argument("--devices", default="auto", help="number of devices (auto under torchrun)")
    tr.add_argument("--strategy", default="auto", help="auto, ddp, ...")
    tr.add_argument("--seed", type=int, default=0)
    staged = {n: s.stages for n, s in trainable().items() if s.stages}
    tr.add_argument(
        "--stage",
        help="for models trained in stages, one stage (default: all, in order; each starts from OUT/weights): "
        + "; ".join(f"{n}: {', '.join(st)}" for n, st in staged.items()),
    )
    tr.add_argument(
        "--vgg-weights",
        type=Path,
        help="lm2vid: torchvision VGG-19 state dict for L_VGG (or $EMOHEAD_VGG19); "
        "without it an offline stand-in (L1 + image-gradient L1) is used",
    )
    tr.add_argument("-q", "--quiet", action="store_true", help="no progress bar")

    b = sub.add_parser("bench", help="time each stage and the real-time factor on this machine")
    b.add_argument("--seconds", type=float, default=10.0, help="length of speech to time (default %(default)s)")
    b.add_argument("--sizes", type=int, nargs="+", default=[256, 512], choices=(256, 512))
    b.add_argument("--json", type=Path, help="also write the figures as JSON")
    b.add_argument("--asr", choices=("auto", "whisper", "phones"), default="auto", help="recogniser timed (default %(default)s)")
    b.add_argument("--models", nargs="+", metavar="MODEL", help=f"motion models to time (default: all of {', '.join(specs())})")
    sv = sub.add_parser(
        "serve",
        help="the web page and REST API (needs emohead[web])",
        description="Serve the page (http://127.0.0.1:7860/) and the REST API under /api/v1 (docs: /api/v1/docs). "
        "Binds to this machine only unless --host says otherwise, which needs a token.",
    )
    sv.add_argument("--host", default="127.0.0.1", help="address to bind (default %(default)s: this machine only)")
    sv.add_argument("--port", type=int, default=7860, help="port (default %(default)s)")
    sv.add_argument("--token", default=os.environ.get("EMOHEAD_TOKEN"), help="require this token on every request (default $EMOHEAD_TOKEN)")
    sv.add_argument("--max-upload-mb", type=float, default=50.0, help="largest request body in MB (default %(default)s)")
    sv.add_argument("--max-minutes", type=float, default=10.0, help="longest audio accepted, in minutes (default %(default)s)")
    sv.add_argument(
        "--workers", type=int, default=max(1, os.cpu_count() or 1), help="jobs run at once (default: one per core, %(default)s)"
    )
    sv.add_argument("--queue-size", type=int, default=8, help="jobs that may wait; more get 503 + Retry-After (default %(default)s)")
    sv.add_argument("--keep-minutes", type=float, default=60.0, help="finished results are deleted after this (default %(default)s)")
    sv.add_argument("-q", "--quiet", action="store_true", help="log warnings only")

    bt = sub.add_parser(
        "batch",
        help="many generate jobs from a CSV or JSONL file",
        description="Run one generate job per row of JOBS (a .csv with a header, or .jsonl). Columns are generate's options by "
        "name (portrait, audio, transcript, emotion, intensity, model, head_motion, ...; paths relative to JOBS), plus optional "
        "id and output (relative to OUTDIR). Finished rows are not redone on a restart; OUTDIR/report.csv lists every row's "
        "status, seconds and error; the exit status is 1 when any row failed.",
    )
    bt.add_argument("jobs", type=Path, help="the jobs file (.csv or .jsonl)")
    bt.add_argument("-o", "--output", required=True, type=Path, help="folder for the videos and report.csv (created if missing)")
    bt.add_argument("--workers", type=int, default=1, help="rows run at once, each in its own process (default %(default)s)")
    bt.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")
    return parser


def _model_help() -> str:
    from emohead.emotion.condition import KINDS

    return "; ".join(
        f"{name} ({spec.summary.split(':')[0]}; emotion from {', '.join(KINDS[k] for k in KINDS if k in spec.conditions)})"
        for name, spec in specs().items()
    )


def _options(args) -> dict:
    return dict(
        size=args.size,
        full_frame=args.full_frame,
        seed=args.seed,
        head_motion=args.head_motion,
        blinks=not args.no_blinks,
        progress=not args.quiet,
    )


def _report(result, quiet: bool) -> None:
    for note in result.notes:
        print(f"emohead: note: {note}", file=sys.stderr)
    if quiet:
        return
    total = sum(result.timings.values())
    what = f"wrote {result.output}" if result.output else "done"
    print(f"{what}: {result.n_frames} frames, {result.duration:.2f} s of audio, in {total:.1f} s ({result.realtime_factor:.2f}x real time)")


def cmd_generate(args) -> None:
    import emohead

    if args.output is None and args.export_motion is None and args.blendshapes_csv is None:
        raise EmoheadError("nothing to write; pass -o out.mp4 and/or --export-motion / --blendshapes-csv")
    transcript = args.transcript
    if args.transcript_file is not None:
        from emohead.job import read_transcript_file

        transcript = read_transcript_file(args.transcript_file)
        for out in (args.output, args.export_motion, args.blendshapes_csv):
            if out is not None:
                check_writable(out, "output", {"transcript file": args.transcript_file})
    result = emohead.generate(
        args.portrait,
        args.audio,
        transcript=transcript,
        emotion=args.emotion,
        intensity=args.intensity,
        intensity_curve=args.intensity_curve,
        reference_portrait=args.reference_portrait,
        emotion_text=args.emotion_text,
        output=args.output,
        export_motion=args.export_motion,
        blendshapes_csv=args.blendshapes_csv,
        face_index=args.face_index,
        model=args.model,
        renderer=args.renderer,
        weights=args.weights,
        renderer_weights=str(args.renderer_weights) if args.renderer_weights else None,
        asr=args.asr,
        max_minutes=args.max_minutes,
        motion_fps=args.motion_fps,
        model_options={
            "window": args.emospeaker_window,
            "intensity_level": args.intensity_level,
            "steps": args.steps,
            "guidance": args.guidance,
            "samples": args.samples,
            "heard_mouth": args.heard_mouth,
        },
        **_options(args),
    )
    _report(result, args.quiet)


def cmd_demo(args) -> None:
    import emohead
    from emohead.assets import demo_inputs

    portrait, audio, transcript = demo_inputs()
    if args.contact_sheet:
        check_writable(args.contact_sheet, "contact sheet")
    result = emohead.generate(
        portrait, audio, transcript=transcript, emotion=args.emotion, intensity=args.intensity, output=args.output, **_options(args)
    )
    _report(result, args.quiet)
    if args.contact_sheet:
        from emohead.sheet import contact_sheet

        contact_sheet(portrait, audio, transcript, args.contact_sheet, SHEET_EMOTIONS, size=args.size, seed=args.seed, inputs=result.inputs)
        if not args.quiet:
            print(f"wrote {args.contact_sheet}")


def cmd_prepare(args) -> None:
    from emohead.data.cache import MEAD_TEST_SPEAKERS, prepare

    test = args.test_speakers.split(",") if args.test_speakers else (MEAD_TEST_SPEAKERS if args.split == "mead" else None)
    report = prepare(
        args.source,
        args.format,
        args.output,
        workers=args.workers,
        retry_failed=args.retry_failed,
        test_speakers=test,
        progress=not args.quiet,
        asr=args.asr,
        whisper_features=args.whisper_features,
    )
    print(report.summary())
    if report.clips == 0:
        raise EmoheadError(f"nothing usable was found in {args.source}; see the reasons above")


def cmd_eval(args) -> None:
    from emohead.eval.harness import EvalOptions, render_markdown, run_eval

    try:
        args.out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise EmoheadError(f"cannot create the report folder {args.out.parent}: {err.strerror}; choose a writable location") from None
    check_writable(args.out.with_suffix(".md"), "report")
    opts = EvalOptions(
        model=args.model,
        renderer=args.renderer,
        weights=str(args.weights) if args.weights else None,
        renderer_weights=str(args.renderer_weights) if args.renderer_weights else None,
        split=args.split,
        guidance=args.guidance,
        per_clip=args.per_clip,
        max_frames=args.max_frames,
        fer_weights=args.fer_weights,
        inception_weights=args.inception_weights,
        syncnet_weights=args.syncnet_weights,
        progress=not args.quiet,
    )
    report = run_eval(args.data, args.out, opts)
    if not args.quiet:
        print(render_markdown(report, args.data, opts))
    print(f"wrote {args.out.with_suffix('.md')} and {args.out.with_suffix('.json')}")


def cmd_train(args) -> None:
    import json

    from emohead.train.run import train

    config = None
    if args.config is not None:
        try:
            config = json.loads(args.config.read_text())
        except (OSError, json.JSONDecodeError) as err:
            raise EmoheadError(f"cannot read --config {args.config}: {err}; give a JSON file") from None
    if args.vgg_weights is not None:
        if args.model != "lm2vid":
            raise EmoheadError("--vgg-weights is for lm2vid only; drop it or train lm2vid")
        if not args.vgg_weights.is_file():
            raise EmoheadError(f"VGG-19 weights not found: {args.vgg_weights}; give torchvision's vgg19 state dict (.pth)")
        config = dict(config or {})
        config["train"] = {**config.get("train", {}), "vgg_weights": str(args.vgg_weights)}
    devices = int(args.devices) if str(args.devices).isdigit() else args.devices
    summary = train(
        args.model,
        args.data,
        args.out,
        config,
        args.max_steps,
        args.max_epochs,
        args.batch_size,
        args.workers,
        args.accelerator,
        devices,
        args.strategy,
        not args.quiet,
        args.seed,
        args.stage,
    )
    if os.environ.get("RANK", "0") != "0":  # under torchrun, rank 0 reports
        return
    print(
        f"trained {args.model}: {summary['steps']} steps in {summary['minutes']} min ({summary['steps_per_s']} steps/s); "
        f"weights in {args.out / 'weights'}"
    )


def cmd_serve(args) -> None:
    try:
        from emohead.serve import ServerConfig, serve
    except ImportError as err:
        raise EmoheadError(f"the server needs the web extra ({err.name} is missing); pip install 'emohead[web]'") from None
    config = ServerConfig(args.token, args.max_upload_mb, args.max_minutes, args.workers, args.queue_size, args.keep_minutes)
    serve(args.host, args.port, config, quiet=args.quiet)


def cmd_batch(args) -> int:
    from emohead.batch import REPORT, run_batch

    counts = run_batch(args.jobs, args.output, args.workers, progress=not args.quiet)
    if not args.quiet or counts["failed"]:
        done_before = f", {counts['skipped']} finished before" if counts["skipped"] else ""
        print(f"batch: {counts['ok']} done, {counts['failed']} failed{done_before}; report: {args.output / REPORT}", file=sys.stderr)
    return 1 if counts["failed"] else 0


def cmd_bench(args) -> None:
    from emohead.bench import run_bench

    run_bench(args.seconds, args.sizes, args.json, args.asr, args.models)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        from emohead import __version__

        print(f"emohead {__version__}")
        return 0
    if args.command is None:
        parser.print_help()
        return 2
    handler = {
        "generate": cmd_generate,
        "demo": cmd_demo,
        "prepare": cmd_prepare,
        "eval": cmd_eval,
        "train": cmd_train,
        "bench": cmd_bench,
        "serve": cmd_serve,
        "batch": cmd_batch,
    }[args.command]
    t0 = time.perf_counter()
    try:
        with stop_on_signals():
            status = handler(args)
    except EmoheadError as err:
        print(f"emohead: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as err:
        signum = getattr(err, "signum", signal.SIGINT)
        print(
            f"emohead: stopped ({signal.Signals(signum).name}) after {time.perf_counter() - t0:.0f} s; no partial output was left",
            file=sys.stderr,
        )
        return 128 + signum
    except OSError as err:  # the machine, not the input: a full disk, a folder gone read-only
        if err.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EIO):
            raise
        where = f" {err.filename}" if err.filename else ""
        fix = "free disk space or choose another location" if err.errno in (errno.ENOSPC, errno.EDQUOT) else "choose a writable location"
        print(f"emohead: error: cannot write{where}: {err.strerror}; {fix}", file=sys.stderr)
        return 1
    return status or 0


if __name__ == "__main__":
    sys.exit(main())
