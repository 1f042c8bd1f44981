"""The Python API, in three stages and one call that composes them:

    inputs = emohead.analyze("face.jpg", "speech.wav", transcript="...", emotion="happy")   # -> MotionInputs
    motion = emohead.load_motion_model("eapc").generate(inputs)                              # -> Motion
    emohead.render(inputs, motion, output="out.mp4")                                         # -> video (or frames)

    emohead.generate("face.jpg", "speech.wav", emotion="happy", output="out.mp4")            # all three

Each input is analysed once: callers that vary the emotion (``inputs.with_emotion("sad")``), the model or
the renderer reuse the same analysed face, audio and text. The CLI, the demo, the contact sheet, the
benchmarks and the eval harness all go through these stages.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from emohead import limits
from emohead.audio.features import SILENCE_DBFS, AudioFeatures, _Accumulator
from emohead.audio.io import SAMPLE_RATE, check_audio, stream_audio
from emohead.emotion.condition import EmotionRequest, check_supported, resolve
from emohead.errors import EmoheadError
from emohead.face.analyze import FaceLandmarker, analyze_portrait
from emohead.face.image import load_image
from emohead.face.portrait import Portrait
from emohead.motion import DEFAULT_MODEL, Motion, MotionInputs, get_spec, load_motion_model, specs
from emohead.outputs import atomic_path, check_distinct, check_writable, commit_together
from emohead.render import DEFAULT_RENDERER, get_renderer_spec, load_renderer, renderer_class
from emohead.render.paste import Compositor
from emohead.text.align import Aligner, Phone, normalize_transcript
from emohead.text.asr import phones_for_speech, recognize_and_align, resolve_asr
from emohead.text.features import FUNCTION_WORDS
from emohead.video.io import container_for
from emohead.weights import resolve_weights


@dataclass
class GenerateOptions:
    """Settings shared by the API and the CLI (the CLI's defaults are these)."""

    size: int = 256
    full_frame: bool = False
    face_index: int | None = None
    model: str = DEFAULT_MODEL
    weights: str | None = None  # a trained model's folder (config.json + model.safetensors); None: bundled
    renderer: str = DEFAULT_RENDERER
    renderer_weights: str | None = None  # a trained lm2vid folder; None: bundled
    seed: int = 0
    head_motion: float = 1.0
    blinks: bool = True
    transition: float = 0.4
    max_minutes: float = limits.MAX_MINUTES
    asr: str = "auto"
    progress: bool = False
    # called as on_progress(stage, fraction 0..1) while generate works (the server's job progress); an
    # exception it raises stops the run like Ctrl-C, with no partial output
    on_progress: Callable[[str, float], None] | None = None
    # frame rate of the motion exports (npz / json / Live Link CSV); None: the video's 25 fps
    motion_fps: float | None = None
    # options of the chosen model only (its spec's ``options``, e.g. {"window": 5} for emospeaker)
    model_options: dict = field(default_factory=dict)

    def check(self) -> GenerateOptions:
        """Every option finite and in range, checked once here for the CLI and the API alike."""
        if self.size not in limits.SIZES:
            raise EmoheadError(f"--size {self.size} is not supported; use {' or '.join(map(str, limits.SIZES))}")
        if not isinstance(self.seed, (int, np.integer)) or not 0 <= self.seed < 2**32:
            raise EmoheadError(f"--seed {self.seed!r} is out of range; use a whole number from 0 to {2**32 - 1}")
        if not _finite(self.head_motion) or not 0 <= self.head_motion <= limits.HEAD_MOTION_MAX:
            raise EmoheadError(f"--head-motion {self.head_motion!r} is out of range; use 0 (still) to {limits.HEAD_MOTION_MAX:g}")
        if not _finite(self.max_minutes) or self.max_minutes <= 0:
            raise EmoheadError(f"--max-minutes {self.max_minutes!r} must be a positive number of minutes")
        if self.motion_fps is not None and (not _finite(self.motion_fps) or not 1 <= self.motion_fps <= limits.MOTION_FPS_MAX):
            raise EmoheadError(
                f"--motion-fps {self.motion_fps!r} is out of range; use 1 to {limits.MOTION_FPS_MAX:g} frames per second (e.g. 60)"
            )
        if self.face_index is not None and self.face_index < 0:
            raise EmoheadError(f"--face-index {self.face_index} must be 0 (the largest face) or more")
        spec = get_spec(self.model)
        for name, value in self.model_options.items():
            if value is not None and name not in spec.options:
                able = [s.name for s in specs().values() if name in s.options]
                flag = next((s.options[name] for s in specs().values() if name in s.options), name)
                raise EmoheadError(
                    f"{flag} applies to --model {' / '.join(able) or '(none)'} only, not {self.model}; drop it or change --model"
                )
        get_renderer_spec(self.renderer)
        return self


def _finite(x) -> bool:
    return isinstance(x, (int, float, np.floating, np.integer)) and math.isfinite(x)


@dataclass
class GenerationResult:
    """What ``generate`` made. lm68: (T, 68, 3) crop px; timings: seconds per stage; inputs: the analysed
    inputs (reusable with another model, emotion or renderer)."""

    output: Path | None
    motion: Motion
    lm68: np.ndarray
    portrait: Portrait
    phones: list[Phone]
    duration: float
    timings: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    inputs: MotionInputs | None = None

    @property
    def n_frames(self) -> int:
        return len(self.motion)

    @property
    def realtime_factor(self) -> float:
        """Processing time / audio duration (below 1 is faster than real time)."""
        return sum(self.timings.values()) / max(self.duration, 1e-9)


class _Timer:
    def __init__(self, times: dict[str, float] | None = None):
        self.times = times if times is not None else {}

    @contextlib.contextmanager
    def __call__(self, stage: str):
        t = time.perf_counter()
        yield
        self.times[stage] = self.times.get(stage, 0.0) + time.perf_counter() - t


def analyze_audio(
    audio: str | Path,
    transcript: str | None,
    notes: list[str],
    max_minutes: float | None = limits.MAX_MINUTES,
    progress: bool = False,
    asr: str = "auto",
) -> tuple[AudioFeatures, list[Phone], float]:
    """Decode ``audio`` in chunks -> 25 fps features and phone timings (``text.asr.phones_for_speech``:
    the transcript force-aligned, else what ASR heard, else recognised phones). Audio over
    ``limits.ALIGN_MAX_SECONDS`` is recognised chunk by chunk."""
    from tqdm import tqdm

    duration = check_audio(audio, max_minutes)
    asr = resolve_asr(asr, fallback="phones")
    aligner = Aligner()
    words = normalize_transcript(transcript) if transcript else []
    if transcript and not words:
        notes.append("the transcript has no words that can be spoken (only symbols?); phones are recognised from the audio")
    if words:
        spoken = len(words)
        english = not (spoken >= 6 and FUNCTION_WORDS.isdisjoint(words))  # English text this long has "the", "and", "to", ...
        unknown = aligner.known_words(words)[1]
        if len(unknown) > spoken / 2 or not english:
            notes.append(
                f"the transcript is not used: it does not read as English ({len(unknown)} of its {spoken} words are not in the "
                "pronouncing dictionary, and English function words are missing); phones are recognised from the audio"
                if not english
                else f"the transcript is not used: {len(unknown)} of its {spoken} words are not in the English pronouncing "
                "dictionary (another language?); phones are recognised from the audio"
            )
            words = []
        else:
            words = aligner.alignable(words)
            if unknown:
                notes.append(
                    f"words not in the pronouncing dictionary were aligned as spelled (letter-to-sound rules): {' '.join(unknown[:8])}"
                )
    align_whole = bool(words) and duration <= limits.ALIGN_MAX_SECONDS
    if words and not align_whole:
        notes.append(f"audio over {limits.ALIGN_MAX_SECONDS:.0f} s: the transcript is not used; phones are recognised from the audio")
    acc, phones, kept, offset = _Accumulator(), [], [], 0.0
    chunk_s = limits.AUDIO_CHUNK_SECONDS
    n_chunks = int(np.ceil(duration / chunk_s))
    for chunk in tqdm(stream_audio(audio, chunk_s), total=n_chunks, unit="min", desc="audio", disable=not progress or n_chunks < 3):
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
        phones = phones_for_speech(np.concatenate(kept), words, aligner, asr, notes=notes)[0]
    if not any(p.label != "SIL" for p in phones):
        notes.append("no speech sounds recognised: the default model's mouth follows the loudness of the audio (acoustic fallback)")
    return feats, phones, feats.duration


def _image(source, what: str) -> np.ndarray:
    return source if isinstance(source, np.ndarray) else load_image(source, what)


def analyze(
    portrait: str | Path | np.ndarray,
    audio: str | Path,
    *,
    transcript: str | None = None,
    emotion: str | None = None,
    intensity: float | None = None,
    intensity_curve: str | None = None,
    reference_portrait: str | Path | np.ndarray | None = None,
    emotion_text: str | None = None,
    size: int = 256,
    face_index: int | None = None,
    seed: int = 0,
    transition: float = 0.4,
    max_minutes: float = limits.MAX_MINUTES,
    asr: str = "auto",
    progress: bool = False,
) -> MotionInputs:
    """Analyse each input once -> :class:`MotionInputs` for any motion model.

    portrait: image path or (H, W, 3) uint8 RGB; audio: any audio/video file ffmpeg reads. The emotion is
    one condition kind (``emotion.condition``): a label or timeline (``emotion``, scaled by ``intensity``),
    a label with an ``intensity_curve``, a ``reference_portrait``, an ``emotion_text``, or ``emotion="voice"``.
    """
    request = EmotionRequest(emotion, intensity, intensity_curve, reference_portrait, emotion_text, transition).check()
    GenerateOptions(size=size, face_index=face_index, seed=seed, max_minutes=max_minutes).check()
    timer, notes = _Timer(), []
    with timer("face"), FaceLandmarker("image") as landmarker:
        face = analyze_portrait(_image(portrait, "portrait"), size, face_index, landmarker=landmarker)
        notes += face.notes
        reference = None
        if request.kind == "reference":
            image = _image(reference_portrait, "reference portrait")
            reference = analyze_portrait(image, size, landmarker=landmarker, what="reference portrait")
    with timer("audio+text"):
        feats, phones, duration = analyze_audio(audio, transcript, notes, max_minutes, progress, asr)
    with timer("emotion"):
        cond = resolve(request, feats.n_frames, reference, notes)
    return MotionInputs(
        face,
        feats,
        phones,
        cond,
        seed,
        request=request,
        reference=reference,
        audio_path=Path(audio),
        duration=duration,
        transcript=transcript,
        notes=notes,
        timings=timer.times,
    )


def render(
    portrait: Portrait | MotionInputs,
    motion: Motion,
    *,
    renderer: str = DEFAULT_RENDERER,
    weights: str | None = None,
    output: str | Path | None = None,
    audio: str | Path | None = None,
    full_frame: bool = False,
    progress: bool = False,
) -> Iterator[np.ndarray] | Path:
    """Render ``motion`` on the portrait. Without ``output``: an iterator of (S, S, 3) uint8 RGB frames (the
    whole photo with ``full_frame``). With ``output``: an .mp4 (H.264, 25 fps) with ``audio`` muxed as AAC
    (taken from the MotionInputs when given), written whole or not at all; returns its path."""
    inputs = portrait if isinstance(portrait, MotionInputs) else None
    face = inputs.portrait if inputs else portrait
    frames = load_renderer(renderer, face, weights).frames(motion)
    size = (face.size, face.size)
    if full_frame:
        comp = Compositor(face.image, face.crop_matrix, face.size)
        frames, size = (comp.paste(f) for f in frames), comp.size
    if output is None:
        return frames
    audio = audio if audio is not None else (inputs.audio_path if inputs else None)
    if audio is None:
        raise EmoheadError("rendering a video needs the audio to mux; pass audio= or the MotionInputs from emohead.analyze")
    path = check_writable(output, "output", {"input audio": audio})
    container_for(path)
    duration = inputs.duration if inputs else len(motion) / motion.fps
    with atomic_path(path) as tmp:
        _encode(frames, size, len(motion), tmp, audio, duration, progress)
    return path


def _encode(frames, size: tuple[int, int], n: int, path: Path, audio, duration: float, progress: bool) -> None:
    """Encode ``frames`` into ``path`` (the caller commits or deletes it)."""
    from tqdm import tqdm

    from emohead.video.io import VideoWriter

    h, w = size
    writer = VideoWriter(path, w, h, audio=audio, audio_seconds=duration)
    try:
        for frame in tqdm(frames, total=n, unit="frame", disable=not progress, desc="render"):
            writer.write(frame)
    except BaseException:
        writer.abort()
        raise
    writer.close()


def generate(
    portrait: str | Path | np.ndarray,
    audio: str | Path,
    *,
    transcript: str | None = None,
    emotion: str | None = None,
    intensity: float | None = None,
    intensity_curve: str | None = None,
    reference_portrait: str | Path | np.ndarray | None = None,
    emotion_text: str | None = None,
    output: str | Path | None = None,
    export_motion: str | Path | None = None,
    blendshapes_csv: str | Path | None = None,
    options: GenerateOptions | None = None,
    **overrides,
) -> GenerationResult:
    """Portrait photo + speech -> talking-face video and/or motion tracks: :func:`analyze`, the model's
    ``generate``, :func:`render`. Everything is checked before any work: options, the emotion request
    and whether the model honours it, and every output path.

    emotion: a label ("happy"), a timeline ("neutral@0-1.5,happy:0.9@1.5-") or "voice"; intensity scales
    labels without their own; intensity_curve: keyframes for one label ("0:0,2:1"); reference_portrait:
    use that face's expression; emotion_text: a description. output: .mp4 path (None renders nothing);
    export_motion: .npz or .json; blendshapes_csv: Live Link Face CSV. ``overrides`` set GenerateOptions
    fields (size=512, full_frame=True, model="eapc", ...).
    """
    opts, request = check_request(emotion, intensity, intensity_curve, reference_portrait, emotion_text, options, **overrides)
    step = opts.on_progress or (lambda stage, fraction: None)
    sources = {"input audio": audio, "portrait": portrait, "reference portrait": reference_portrait}
    targets = {"output": output, "motion export": export_motion, "blendshape CSV": blendshapes_csv}
    paths = {k: check_writable(v, k, sources) for k, v in targets.items() if v is not None}
    check_distinct(paths)
    if output is not None:
        container_for(output)
    if export_motion is not None and Path(export_motion).suffix.lower() not in (".npz", ".json"):
        raise EmoheadError(f"--export-motion {export_motion}: use a .npz or .json file name")
    extra = {k: v for k, v in opts.model_options.items() if v is not None}
    model = load_motion_model(opts.model, weights=opts.weights, head_motion=opts.head_motion, blinks=opts.blinks, **extra)
    if output is not None:
        renderer_class(opts.renderer)  # a renderer that cannot load (no torch) fails before any work
        if opts.renderer_weights is not None:
            resolve_weights(opts.renderer_weights, f"{opts.renderer} weights")

    step("analysing", 0.0)
    inputs = analyze(
        portrait,
        audio,
        transcript=transcript,
        emotion=emotion,
        intensity=intensity,
        intensity_curve=intensity_curve,
        reference_portrait=reference_portrait,
        emotion_text=emotion_text,
        size=opts.size,
        face_index=opts.face_index,
        seed=opts.seed,
        transition=opts.transition,
        max_minutes=opts.max_minutes,
        asr=opts.asr,
        progress=opts.progress,
    )
    timer = _Timer(dict(inputs.timings))
    step("motion", 0.3)
    with timer("motion"):
        motion = model.generate(inputs)
        lm68 = motion.lm68()
    with commit_together(paths) as tmps:  # every output of the run appears, or none does
        if output is not None:
            with timer("render+encode"):
                frames = render(inputs, motion, renderer=opts.renderer, weights=opts.renderer_weights, full_frame=opts.full_frame)
                frames = _reporting(frames, len(motion), lambda done: step("rendering", 0.35 + 0.6 * done))
                size = Compositor.output_size(inputs.portrait) if opts.full_frame else (opts.size, opts.size)
                _encode(frames, size, len(motion), tmps["output"], audio, inputs.duration, opts.progress)
        step("exporting", 0.95)
        with timer("export"):
            _export(motion, lm68, inputs.portrait, tmps, inputs.notes, opts.motion_fps)
    step("done", 1.0)
    return GenerationResult(
        output=paths.get("output"),
        motion=motion,
        lm68=lm68,
        portrait=inputs.portrait,
        phones=inputs.phones,
        duration=inputs.duration,
        timings=timer.times,
        notes=inputs.notes,
        inputs=inputs,
    )


def check_request(
    emotion: str | None = None,
    intensity: float | None = None,
    intensity_curve: str | None = None,
    reference_portrait=None,
    emotion_text: str | None = None,
    options: GenerateOptions | None = None,
    **overrides,
) -> tuple[GenerateOptions, EmotionRequest]:
    """Options, the emotion request and whether the model honours its kind, checked before any work (by
    ``generate``, and by the server and the batch runner when a job is submitted). Unknown option names
    raise TypeError."""
    opts = dataclasses.replace(options or GenerateOptions(), **overrides).check()
    request = EmotionRequest(emotion, intensity, intensity_curve, reference_portrait, emotion_text, opts.transition).check()
    spec = get_spec(opts.model)
    check_supported(spec.name, spec.conditions, request.kind, specs().values())
    return opts, request


def _reporting(frames: Iterable[np.ndarray], n: int, report: Callable[[float], None], every: int = 5) -> Iterator[np.ndarray]:
    """Pass ``frames`` through, calling ``report(fraction done)`` every few frames."""
    for i, frame in enumerate(frames):
        if i % every == 0:
            report(i / max(n, 1))
        yield frame


def _export(motion: Motion, lm68: np.ndarray, face: Portrait, paths: dict[str, Path], notes: list[str], fps: float | None = None) -> None:
    """Write the motion exports named in ``paths`` (temporary names; the caller commits them), resampled to
    ``fps`` when given."""
    from emohead import export

    if not paths.keys() & {"motion export", "blendshape CSV"}:
        return
    if fps is not None and fps != motion.fps:
        motion = motion.resample(fps)
        lm68 = motion.lm68()

    if "motion export" in paths:
        path = paths["motion export"]
        if path.suffix.lower() == ".json":
            export.write_json(path, motion, lm68)
        else:
            export.write_npz(path, export.motion_arrays(motion, lm68, face.crop_matrix, notes))
    if "blendshape CSV" in paths:
        export.write_live_link_csv(paths["blendshape CSV"], motion)
