"""The Python API: ``emohead.generate(portrait, audio, ...)``. The CLI, the demo and the benchmarks call it."""

from __future__ import annotations

import contextlib
import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from emohead.audio.features import SILENCE_DBFS, AudioFeatures, _Accumulator
from emohead.audio.io import SAMPLE_RATE, check_audio, stream_audio
from emohead.emotion.prototypes import EXPRESSIVE, load_prototypes
from emohead.emotion.timeline import parse_timeline, timeline_weights
from emohead.errors import EmoheadError
from emohead.face import blendshapes as bs
from emohead.face.analyze import FaceLandmarker, Portrait, analyze_portrait
from emohead.face.image import load_image
from emohead.motion import EmotionCondition, Motion, MotionInputs, load_motion_model
from emohead.outputs import atomic_path, check_writable
from emohead.render import load_renderer, renderer_class
from emohead.text.align import Aligner, Phone, normalize_transcript
from emohead.text.asr import recognize_and_align, resolve_asr

CHUNK_SECONDS = 60.0  # audio is decoded and analysed a chunk at a time
ALIGN_MAX_SECONDS = 120.0  # longer audio: phones are recognised chunk by chunk instead of force-aligned


@dataclass
class GenerateOptions:
    """Settings shared by the API and the CLI (the CLI's defaults are these)."""

    size: int = 256
    full_frame: bool = False
    face_index: int | None = None
    model: str = "analytic"
    weights: str | None = None  # a trained model's folder (config.json + model.safetensors); None: bundled
    renderer: str = "warp"
    renderer_weights: str | None = None  # a trained lm2vid folder; None: bundled
    seed: int = 0
    head_motion: float = 1.0
    blinks: bool = True
    transition: float = 0.4
    max_minutes: float = 30.0
    asr: str = "auto"
    progress: bool = False


@dataclass
class GenerationResult:
    """What ``generate`` made. lm68: (T, 68, 3) crop px; timings: seconds per stage."""

    output: Path | None
    motion: Motion
    lm68: np.ndarray
    portrait: Portrait
    phones: list[Phone]
    duration: float
    timings: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def n_frames(self) -> int:
        return len(self.motion)

    @property
    def realtime_factor(self) -> float:
        """Processing time / audio duration (below 1 is faster than real time)."""
        return sum(self.timings.values()) / max(self.duration, 1e-9)


class _Timer:
    def __init__(self):
        self.times: dict[str, float] = {}

    @contextlib.contextmanager
    def __call__(self, stage: str):
        t = time.perf_counter()
        yield
        self.times[stage] = self.times.get(stage, 0.0) + time.perf_counter() - t


def analyze_audio(
    audio: str | Path, transcript: str | None, notes: list[str], max_minutes: float | None = 30.0, progress: bool = False,
    asr: str = "auto",
) -> tuple[AudioFeatures, list[Phone], float]:  # fmt: skip
    """Decode ``audio`` in chunks -> 25 fps features and phone timings: the transcript force-aligned, or,
    without one, what ASR heard force-aligned (``asr``: whisper when installed) or the phone loop."""
    from tqdm import tqdm

    duration = check_audio(audio, max_minutes)
    asr = resolve_asr(asr, fallback="phones")
    aligner = Aligner()
    words = normalize_transcript(transcript) if transcript else []
    if words:
        words, unknown = aligner.known_words(words)
        if unknown:
            notes.append(f"words not in the pronouncing dictionary were skipped in alignment: {' '.join(unknown[:8])}")
    align_whole = bool(words) and duration <= ALIGN_MAX_SECONDS
    if words and not align_whole:
        notes.append(f"audio over {ALIGN_MAX_SECONDS:.0f} s: the transcript is not used; phones are recognised from the audio")
    acc, phones, kept, offset = _Accumulator(), [], [], 0.0
    n_chunks = int(np.ceil(duration / CHUNK_SECONDS))
    for chunk in tqdm(stream_audio(audio, CHUNK_SECONDS), total=n_chunks, unit="min", desc="audio", disable=not progress or n_chunks < 3):
        acc.add(chunk)
        if align_whole:
            kept.append(chunk)
        elif np.abs(chunk).max() > 10 ** (SILENCE_DBFS / 20):
            phones += recognize_and_align(chunk, aligner, asr, offset)[0]
        offset += len(chunk) / SAMPLE_RATE
    feats = acc.finish()
    if feats.energy_db.max() < SILENCE_DBFS:
        raise EmoheadError(f"audio {audio} is silent (loudest frame {feats.energy_db.max():.0f} dBFS); pass a recording with speech")
    if align_whole:
        phones = aligner.align(np.concatenate(kept), words)
        if not phones:
            notes.append("forced alignment failed (transcript may not match the audio); phones are recognised from the audio")
            phones = aligner.recognize(np.concatenate(kept))
    if not any(p.label != "SIL" for p in phones):
        notes.append("no speech sounds recognised; the mouth follows the loudness of the audio (acoustic fallback)")
    return feats, phones, feats.duration


def emotion_condition(
    emotion: str | None, intensity: float, reference: Portrait | None, n_frames: int, transition: float, notes: list[str]
) -> EmotionCondition:
    """A label/timeline or a reference portrait -> per-frame emotion condition."""
    if reference is not None:
        protos = load_prototypes()
        offset = np.zeros(bs.COUNT, np.float32)
        idx = bs.indices(EXPRESSIVE)
        offset[idx] = reference.blendshapes[idx] - protos.baseline[idx]
        label, sim = protos.nearest(np.clip(offset, 0, None))
        notes.append(f"reference portrait reads closest to '{label}' (similarity {sim:.2f})")
        return EmotionCondition(reference=offset * intensity)
    if emotion is None:
        return EmotionCondition()
    weights, more = timeline_weights(parse_timeline(emotion, intensity), n_frames, 25.0, transition)
    notes += more
    return EmotionCondition(weights=weights)


def generate(
    portrait: str | Path | np.ndarray,
    audio: str | Path,
    *,
    transcript: str | None = None,
    emotion: str | None = None,
    intensity: float = 1.0,
    reference_portrait: str | Path | np.ndarray | None = None,
    output: str | Path | None = None,
    export_motion: str | Path | None = None,
    blendshapes_csv: str | Path | None = None,
    options: GenerateOptions | None = None,
    **overrides,
) -> GenerationResult:
    """Portrait photo + speech -> talking-face video and/or motion tracks.

    portrait: image path or (H, W, 3) uint8 RGB; audio: any audio/video file ffmpeg reads.
    emotion: a label ("happy") or timeline ("neutral@0-1.5,happy:0.9@1.5-"); intensity scales labels
    without their own; reference_portrait: use that face's expression instead. output: .mp4 path
    (None renders nothing); export_motion: .npz or .json; blendshapes_csv: Live Link Face CSV.
    ``overrides`` set GenerateOptions fields (size=512, full_frame=True, ...).
    """
    opts = dataclasses.replace(options or GenerateOptions(), **overrides)  # unknown names raise TypeError
    renderer_class(opts.renderer)  # an unknown renderer fails before any work
    if opts.size not in (256, 512):
        raise EmoheadError(f"--size {opts.size} is not supported; use 256 or 512")
    if not 0 <= intensity <= 10:
        raise EmoheadError(f"intensity {intensity:g} is out of range; use 0..1 (up to 1.5 exaggerates)")
    targets = {"output": output, "motion export": export_motion, "blendshape CSV": blendshapes_csv}
    paths = {k: check_writable(v, k) for k, v in targets.items() if v is not None}
    if export_motion is not None and Path(export_motion).suffix.lower() not in (".npz", ".json"):
        raise EmoheadError(f"--export-motion {export_motion}: use a .npz or .json file name")
    if emotion is not None:
        parse_timeline(emotion, intensity)  # bad syntax fails before any work
    model = load_motion_model(opts.model, weights=opts.weights, head_motion=opts.head_motion, blinks=opts.blinks)

    timer, notes = _Timer(), []
    with timer("face"), FaceLandmarker("image") as landmarker:
        image = load_image(portrait) if not isinstance(portrait, np.ndarray) else portrait
        face = analyze_portrait(image, opts.size, opts.face_index, landmarker=landmarker)
        notes += face.notes
        reference = None
        if reference_portrait is not None:
            ref_img = (
                load_image(reference_portrait, "reference portrait")
                if not isinstance(reference_portrait, np.ndarray)
                else reference_portrait
            )
            reference = analyze_portrait(ref_img, opts.size, landmarker=landmarker, what="reference portrait")
    with timer("audio+text"):
        feats, phones, duration = analyze_audio(audio, transcript, notes, opts.max_minutes, opts.progress, opts.asr)
    with timer("motion"):
        cond = emotion_condition(emotion, intensity, reference, feats.n_frames, opts.transition, notes)
        motion = model.generate(MotionInputs(face, feats, phones, cond, opts.seed))
        lm68 = motion.lm68()
    if output is not None:
        with timer("render+encode"):
            _render_video(face, motion, paths["output"], audio, duration, opts)
    with timer("export"):
        _export(motion, lm68, face, paths, notes)
    return GenerationResult(output=paths.get("output"), motion=motion, lm68=lm68, portrait=face, phones=phones,
                            duration=duration, timings=timer.times, notes=notes)  # fmt: skip


def _render_video(face: Portrait, motion: Motion, path: Path, audio, duration: float, opts: GenerateOptions) -> None:
    from tqdm import tqdm

    from emohead.render.paste import Compositor
    from emohead.video.io import VideoWriter

    renderer = load_renderer(opts.renderer, face, opts.renderer_weights)
    comp = Compositor(face.image, face.crop_matrix, face.size) if opts.full_frame else None
    h, w = comp.size if comp else (face.size, face.size)
    with atomic_path(path) as tmp:
        writer = VideoWriter(tmp, w, h, audio=audio, audio_seconds=duration)
        try:
            for frame in tqdm(renderer.frames(motion), total=len(motion), unit="frame", disable=not opts.progress, desc="render"):
                writer.write(comp.paste(frame) if comp else frame)
        except BaseException:
            writer.abort()
            raise
        writer.close()


def _export(motion: Motion, lm68: np.ndarray, face: Portrait, paths: dict[str, Path], notes: list[str]) -> None:
    from emohead import export

    if "motion export" in paths:
        path = paths["motion export"]
        with atomic_path(path) as tmp:
            if path.suffix.lower() == ".json":
                export.write_json(tmp, motion, lm68)
            else:
                export.write_npz(tmp, export.motion_arrays(motion, lm68, face.crop_matrix, notes))
    if "blendshape CSV" in paths:
        with atomic_path(paths["blendshape CSV"]) as tmp:
            export.write_live_link_csv(tmp, motion)
