"""``emohead eval``: reconstruct each test clip from its first frame, its audio, its transcript and its
emotion label, and score it against the real clip, with context rows on the same clips:

- the model under test (``--model`` + ``--renderer``);
- "real video": the real clip scored against itself (landmark, rig and image errors are 0 by
  construction) or its own audio (sync, emotion): the ceiling;
- "static portrait": the first frame held still: the floor for motion;
- "audio-energy mouth": the analytic model with no phones, the jaw following loudness only.

Per-clip metrics are averaged over clips; FID and E-FID pool all frames of all clips.
"""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from emohead import dims
from emohead.dims import FPS
from emohead.errors import EmoheadError

BASELINES = ("real video", "static portrait", "audio-energy mouth")
COLUMNS = {
    "lip sync and landmarks": ["M-LD", "F-LD", "M-LVD", "F-LVD", "LSE-D", "LSE-C", "AV-offset*", "AV-corr*"],
    "image quality": ["PSNR", "SSIM", "CPBD", "FID", "ID-sim"],
    "emotion and expression": ["Emo-Acc", "Emo-Prob", "Motion-Emo-Acc", "Motion-Emo-Prob", "E-FID*", "MLE", "MEE", "EIE", "FRD"],
}
NO_DIRECTION = {"AV-offset*"}
LOWER_IS_BETTER = {"M-LD", "F-LD", "M-LVD", "F-LVD", "LSE-D", "FID", "E-FID*", "MLE", "MEE", "EIE", "FRD"}


@dataclass
class EvalOptions:
    model: str = "analytic"
    renderer: str = "warp"
    weights: str | None = None  # a trained run's weights folder (default: the bundled ones)
    renderer_weights: str | None = None
    split: str = "test"
    guidance: str = "label"  # how the model is told the clip's emotion: label, reference (its apex frame) or text
    size: int = 256
    max_frames: int = 250
    per_clip: bool = False
    fer_weights: str | None = None
    inception_weights: str | None = None
    syncnet_weights: str | None = None
    progress: bool = False


@dataclass
class SystemOutput:
    """What one system produced for one clip: frames (crop px), canonical lm68, crop-px lm68, blendshapes."""

    frames: list
    lm68: np.ndarray
    lm68_crop: np.ndarray
    blendshapes: np.ndarray


@dataclass
class EvalReport:
    rows: dict = field(default_factory=dict)  # system -> metric -> value
    per_clip: list = field(default_factory=list)
    clips: int = 0
    frames: int = 0
    seconds: float = 0.0
    unavailable: dict = field(default_factory=dict)  # metric -> why


def _audio_segment(src: str, start: float, seconds: float, dst: Path) -> Path:
    from emohead.proc import run
    from emohead.video.io import ffmpeg_exe

    # -ss/-t after -i: an exact cut on decoded audio (input-side -t stops early on some FLV files)
    cut = ["-ss", f"{start:.3f}", "-t", f"{seconds:.3f}", "-vn", "-ac", "1", "-ar", str(dims.SAMPLE_RATE)]
    done = run([ffmpeg_exe(), "-v", "error", "-y", "-i", src, *cut, str(dst)], what="cutting a clip's audio")
    if done.returncode != 0:
        raise EmoheadError(f"cannot cut the audio of {src}: {done.stderr.decode(errors='replace').strip()[-200:]}; prepare the cache again")
    return dst


def _system_from_motion(portrait, motion, renderer_name: str, renderer_weights=None) -> SystemOutput:
    import emohead

    frames = list(emohead.render(portrait, motion, renderer=renderer_name, weights=renderer_weights))
    return SystemOutput(frames, motion.canonical_lm68(), motion.lm68(), motion.blendshapes)


def reconstruct(meta: dict, arrays: dict, opts: EvalOptions, workdir: Path, model) -> tuple[dict[str, SystemOutput], dict]:
    """All systems' outputs for one cached clip, plus the real clip's data for scoring. The clip's first
    frame, audio and transcript are analysed once; every system reuses them."""
    import dataclasses

    import emohead
    from emohead.emotion.condition import EmotionCondition
    from emohead.face.analyze import warp_crop
    from emohead.motion import load_motion_model
    from emohead.video.io import read_frame_range

    for key in ("video", "audio"):
        if not Path(meta[key]).exists():
            raise EmoheadError(f"clip {meta['clip_id']}: its source {key} {meta[key]} is gone; prepare the cache again from the dataset")
    n = min(int(meta["n_frames"]), opts.max_frames)
    start = int(meta["start_frame"])
    frames = read_frame_range(meta["video"], start, n)
    n = len(frames)
    audio = _audio_segment(meta["audio"], start / FPS, n / FPS, workdir / f"{meta['clip_id']}.wav")
    transcript = meta["transcript"] if meta.get("transcript_source") == "dataset" else None
    inputs = emohead.analyze(frames[0], audio, transcript=transcript, emotion=meta.get("emotion"), size=opts.size)
    portrait = inputs.portrait
    if opts.guidance != "label":
        inputs = guided(inputs, meta, arrays, frames[:n], opts.guidance)
    systems = {system_name(opts): _system_from_motion(portrait, model.generate(inputs).trim(n), opts.renderer, opts.renderer_weights)}

    m = portrait.crop_matrix
    real_crop_lm = arrays["lm68_image"][:n].copy()
    real_crop_lm[..., :2] = real_crop_lm[..., :2] @ m[:, :2].T + m[:, 2]
    systems["real video"] = SystemOutput(
        [warp_crop(f, m, opts.size) for f in frames], arrays["lm68"][:n], real_crop_lm, arrays["blendshapes"][:n]
    )
    systems["static portrait"] = SystemOutput(
        [portrait.crop] * n,
        np.repeat(arrays["lm68"][:1], n, 0),
        np.repeat(portrait.lm68[None], n, 0),
        np.repeat(arrays["blendshapes"][:1], n, 0),
    )
    energy_inputs = dataclasses.replace(inputs, phones=None, emotion=EmotionCondition())  # the jaw follows loudness only
    energy_motion = load_motion_model("analytic").generate(energy_inputs)
    systems["audio-energy mouth"] = _system_from_motion(portrait, energy_motion.trim(n), opts.renderer, opts.renderer_weights)
    real = {
        "energy_db": arrays["energy_db"][:n],
        "emotion": meta.get("emotion"),
        "portrait": portrait,
        "audio": audio,
        "lm68": arrays["lm68"][:n],
        "blendshapes": arrays["blendshapes"][:n],
    }
    return systems, real


GUIDANCE = ("label", "reference", "text")


def guided(inputs, meta: dict, arrays: dict, frames: list, guidance: str):
    """The clip's emotion asked for another way: ``reference``, the clip's own apex frame (the frame whose
    expressive channels are furthest from the clip's median, as MEDTalk picks its reference images); ``text``,
    a description of the clip's label and level in phrasings no model was trained on (held-out templates and
    words of ``motion.medtalk.descriptions``)."""
    import random

    from emohead.emotion.prototypes import EXPRESSIVE
    from emohead.emotion.vocabulary import EMOTIONS
    from emohead.face import blendshapes as bs

    if guidance == "reference":
        w = arrays["blendshapes"][: len(frames)][:, bs.indices(EXPRESSIVE)]
        apex = int(np.argmax(np.abs(w - np.median(w, 0)).sum(1)))
        return inputs.with_emotion(reference=frames[apex])
    from emohead.motion.medtalk.descriptions import describe

    emotion = meta.get("emotion") if meta.get("emotion") in EMOTIONS else "neutral"
    text = describe(emotion, int(meta.get("intensity") or 0) or 2, random.Random(meta["clip_id"]), held_out=True)
    return inputs.with_emotion(text=text)


def system_name(opts: EvalOptions) -> str:
    """'eapc + warp', or 'eapc [run name] + warp' for weights other than the bundled ones; guidance other than
    the label is named: 'medtalk (text) + warp'."""
    run = f" [{Path(opts.weights).parent.name}]" if opts.weights else ""
    renderer_run = f" [{Path(opts.renderer_weights).parent.name}]" if opts.renderer_weights else ""
    how = f" ({opts.guidance})" if opts.guidance != "label" else ""
    return f"{opts.model}{run}{how} + {opts.renderer}{renderer_run}"


class Scorers:
    """The metric models that need weights, loaded once (None where the user supplied none)."""

    def __init__(self, opts: EvalOptions, unavailable: dict):
        from emohead.eval import emotion_classifier, fid, identity, syncnet, user_weights

        self.fer = self.inception = self.syncnet = self.identity = self.recogniser = None
        try:  # the project's motion emotion recogniser (emotion/recogniser): bundled, needs torch
            from emohead.emotion.recogniser import load_recogniser

            self.recogniser = load_recogniser()
        except (ImportError, EmoheadError) as err:
            unavailable["Motion-Emo-Acc"] = unavailable["Motion-Emo-Prob"] = f"no motion emotion recogniser ({str(err).splitlines()[0]})"
        if (p := user_weights(opts.fer_weights, emotion_classifier.ENV, "fer-weights")) is not None:
            self.fer = emotion_classifier.load_fer(p)
        else:
            unavailable["Emo-Acc"] = unavailable["Emo-Prob"] = (
                f"no FER2013 mini-Xception weights (--fer-weights or ${emotion_classifier.ENV})"
            )
        if (p := user_weights(opts.inception_weights, fid.ENV, "inception-weights")) is not None:
            self.inception = fid.load_inception(p)
        else:
            unavailable["FID"] = f"no Inception weights (--inception-weights or ${fid.ENV})"
        if (p := user_weights(opts.syncnet_weights, syncnet.ENV, "syncnet-weights")) is not None:
            self.syncnet = syncnet.load_syncnet(p)
        else:
            unavailable["LSE-D"] = unavailable["LSE-C"] = f"no SyncNet weights (--syncnet-weights or ${syncnet.ENV})"
        if identity.available():
            self.identity = identity.IdentityEncoder()
        else:
            unavailable["ID-sim"] = "dlib-bin and face-recognition-models are not installed"


def score_clip(systems: dict[str, SystemOutput], real: dict, scorers: Scorers) -> dict[str, dict[str, float]]:
    from emohead.audio.io import load_audio
    from emohead.eval.avsync import av_offset
    from emohead.eval.emotion_classifier import classify, emotion_scores
    from emohead.eval.image import image_metrics
    from emohead.eval.landmarks import landmark_metrics
    from emohead.eval.rig import rig_metrics
    from emohead.eval.syncnet import lse
    from emohead.face.ibug68 import face_boxes, mouth_opening

    real_frames = systems["real video"].frames
    samples = load_audio(real["audio"]) if scorers.syncnet is not None else None
    out = {}
    for name, s in systems.items():
        row = landmark_metrics(s.lm68, real["lm68"]) | rig_metrics(s.blendshapes, real["blendshapes"])
        row |= image_metrics(s.frames, real_frames)
        row["AV-offset*"], row["AV-corr*"] = av_offset(mouth_opening(s.lm68), real["energy_db"])
        if scorers.fer is not None:
            row |= emotion_scores(classify(scorers.fer, s.frames, face_boxes(s.lm68_crop)), real["emotion"])
        if scorers.recogniser is not None:
            row |= motion_emotion_scores(scorers.recogniser, s.blendshapes, real["emotion"])
        if scorers.syncnet is not None:
            row |= lse(scorers.syncnet, s.frames, face_boxes(s.lm68_crop), samples)
        if scorers.identity is not None:
            p = real["portrait"]
            row["ID-sim"] = scorers.identity.similarity(p.crop, face_boxes(p.lm68[None])[0], s.frames, face_boxes(s.lm68_crop))
        out[name] = row
    return out


def motion_emotion_scores(recogniser, blendshapes: np.ndarray, emotion: str | None, window: int = FPS) -> dict[str, float]:
    """Emotion read from the motion itself by the project's recogniser, over 1 s windows: accuracy (argmax ==
    the clip's emotion) and the mean probability of that emotion. A clip without a label is speech without an
    acted emotion: neutral, as the recogniser was trained."""
    import torch

    from emohead.emotion.vocabulary import EMOTIONS

    k = EMOTIONS.index(emotion if emotion in EMOTIONS else "neutral")
    w = blendshapes.astype(np.float32)
    parts = [w[i : i + window] for i in range(0, max(len(w) - window, 0) + 1, window)]
    with torch.no_grad():
        probs = recogniser(torch.from_numpy(np.stack(parts))).softmax(-1).numpy()
    return {"Motion-Emo-Acc": float((probs.argmax(1) == k).mean()), "Motion-Emo-Prob": float(probs[:, k].mean())}


def _retrack_blendshapes(frames: list) -> np.ndarray:
    """What the frames show, in blendshape space (MediaPipe on the rendered pixels), for E-FID."""
    from emohead.face.analyze import FaceLandmarker

    out = []
    with FaceLandmarker("video", max_faces=1) as lm:
        for i, f in enumerate(frames):
            faces = lm.detect(f, timestamp_ms=i * 40)
            if faces:
                out.append(faces[0].blendshapes)
    return np.array(out)


def run_eval(data: str | Path, out: str | Path, opts: EvalOptions | None = None) -> EvalReport:
    from tqdm import tqdm

    from emohead.data.cache import Cache
    from emohead.eval.fid import inception_features
    from emohead.eval.frechet import frechet_between
    from emohead.motion import load_motion_model

    opts = opts or EvalOptions()
    if opts.guidance not in GUIDANCE:
        raise EmoheadError(f"unknown guidance {opts.guidance!r}; use one of {', '.join(GUIDANCE)}")
    if opts.guidance != "label":  # a model that cannot take a photo or a description says so before any work
        from emohead.emotion.condition import check_supported
        from emohead.motion import get_spec, specs

        check_supported(opts.model, get_spec(opts.model).conditions, opts.guidance, specs().values())
    t0 = time.time()
    data = Path(data)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        if (data / "cache.json").exists():
            cache = Cache(data)
            rows = [r for r in cache.index() if not r["synthetic"] and (opts.split == "all" or r["split"] == opts.split)]
        elif data.is_dir():
            from emohead.data.cache import prepare

            prepare(data, "folder", workdir / "cache", progress=opts.progress)
            cache = Cache(workdir / "cache")
            rows = [r for r in cache.index() if not r["synthetic"]]
        else:
            raise EmoheadError(f"--data {data}: not an emohead cache or a folder of videos")
        if not rows:
            raise EmoheadError(f"no real clips in the {opts.split!r} split of {data}; try --split all")
        report = EvalReport()
        scorers = Scorers(opts, report.unavailable)
        sums: dict[str, dict[str, list]] = {}
        pooled: dict[str, dict[str, list]] = {}
        metas = {m["clip_id"]: m for m in cache.metas()}
        model = load_motion_model(opts.model, weights=opts.weights)
        for row in tqdm(rows, unit="clip", desc="eval", disable=not opts.progress):
            systems, real = reconstruct(metas[row["clip_id"]], cache.load(row["clip_id"]), opts, workdir, model)
            scores = score_clip(systems, real, scorers)
            report.per_clip.append({"clip": row["clip_id"], **scores})
            report.frames += len(real["lm68"])
            for name, s in systems.items():
                for k, v in scores[name].items():
                    sums.setdefault(name, {}).setdefault(k, []).append(v)
                pool = pooled.setdefault(name, {"bs": [], "img": []})
                pool["bs"].append(_retrack_blendshapes(s.frames) if name != "real video" else real["blendshapes"])
                if scorers.inception is not None:
                    pool["img"].append(inception_features(scorers.inception, s.frames))
        report.clips = len(rows)
        real_bs = np.concatenate(pooled["real video"]["bs"])
        for name, metrics in sums.items():
            agg = {k: _mean(v) for k, v in metrics.items()}
            gen_bs = np.concatenate(pooled[name]["bs"])
            agg["E-FID*"] = frechet_between(gen_bs, real_bs) if len(gen_bs) > 2 else float("nan")
            if scorers.inception is not None:
                agg["FID"] = frechet_between(np.concatenate(pooled[name]["img"]), np.concatenate(pooled["real video"]["img"]))
            report.rows[name] = agg
    report.seconds = time.time() - t0
    write_report(report, Path(out), data, opts)
    return report


def _fmt(v) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return "n/a"
    if isinstance(v, float) and np.isinf(v):
        return "inf"
    return f"{v:.3f}" if abs(v) < 100 else f"{v:.1f}"


def _arrow(metric: str) -> str:
    if metric in NO_DIRECTION:
        return "(frames)"
    return "↓" if metric in LOWER_IS_BETTER else "↑"


def _mean(values: list[float]) -> float:
    """Mean of the finite values; inf when every value is inf (identical images), NaN when none is known."""
    v = np.asarray(values, dtype=float)
    if np.isfinite(v).any():
        return float(v[np.isfinite(v)].mean())
    return float("inf") if np.isinf(v).any() else float("nan")


def render_markdown(report: EvalReport, data, opts: EvalOptions) -> str:
    lines = [
        f"# emohead eval: {system_name(opts)}",
        "",
        f"Data: `{data}`, split `{opts.split}`: {report.clips} clips, {report.frames} frames (up to {opts.max_frames} per clip), "
        f"{opts.size} px crops; {report.seconds:.0f} s.",
        "",
    ]
    for title, cols in COLUMNS.items():
        lines += [f"## {title}", "", "| system | " + " | ".join(f"{c} {_arrow(c)}" for c in cols) + " |", "|---" * (len(cols) + 1) + "|"]
        for name, row in report.rows.items():
            vals = [_fmt(row.get(c)) if c not in report.unavailable else "n/a" for c in cols]
            lines.append(f"| {name} | " + " | ".join(vals) + " |")
        lines.append("")
    lines += [
        "Landmark distances in % of the outer-eye-corner distance, pose and scale removed. * marks offline stand-ins: "
        "AV-offset/AV-corr correlate mouth opening with the speech envelope (not SyncNet), so the audio-energy mouth, whose jaw IS "
        "the envelope, scores near 1 by construction and real mouths score far lower; E-FID is the Frechet distance "
        "between MediaPipe blendshapes of generated and real frames. Rig metrics (MLE, MEE, EIE, FRD) compare blendshape "
        "curves as MEDTalk compares rig curves. Motion-Emo-Acc/Prob: the project's own emotion recogniser on the blendshape "
        "curves (emotion from motion, before any pixel; clips without a label count as neutral), beside the FER "
        "classifier's Emo-Acc/Prob on the pixels.",
        "",
    ]
    if report.unavailable:
        lines += ["Not available here (never estimated):", ""] + [f"- {k}: {v}" for k, v in report.unavailable.items()] + [""]
    if opts.per_clip:
        cols = ["M-LD", "F-LD", "PSNR", "SSIM", "AV-offset*", "AV-corr*", "Emo-Prob"]
        lines += ["## per clip", "", "| clip | system | " + " | ".join(cols) + " |", "|---" * (len(cols) + 2) + "|"]
        for clip in report.per_clip:
            for name in report.rows:
                lines.append(f"| {clip['clip']} | {name} | " + " | ".join(_fmt(clip[name].get(c)) for c in cols) + " |")
    return "\n".join(lines) + "\n"


def write_report(report: EvalReport, out: Path, data, opts: EvalOptions) -> None:
    from emohead.outputs import atomic_path

    out.parent.mkdir(parents=True, exist_ok=True)
    md, js = out.with_suffix(".md"), out.with_suffix(".json")
    with atomic_path(md) as tmp:
        tmp.write_text(render_markdown(report, data, opts))
    doc = {
        "data": str(data),
        "options": opts.__dict__,
        "clips": report.clips,
        "frames": report.frames,
        "seconds": report.seconds,
        "systems": report.rows,
        "unavailable": report.unavailable,
        "per_clip": report.per_clip if opts.per_clip else [],
    }
    with atomic_path(js) as tmp:
        tmp.write_text(json.dumps(_finite(doc), indent=1, default=str))


def _finite(obj):
    """JSON has no NaN or infinity: write null (NaN, not available) and "inf" (identical images)."""
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_finite(v) for v in obj]
    if isinstance(obj, float) and not np.isfinite(obj):
        return "inf" if obj > 0 else None
    return obj
