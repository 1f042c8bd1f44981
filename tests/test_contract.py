"""The contract every registered motion model and renderer keeps, checked with its bundled weights.

Parametrised over the registries (``emohead.motion.specs()``, ``emohead.render.RENDERERS``), so a new model
folder is tested here without touching this file: output shapes and ranges, seeded determinism,
save -> load identity, and for every emotion condition kind: a declared kind changes the output, an
undeclared one is refused with a one-line error naming the models that can.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

import emohead
from emohead.emotion.condition import KINDS
from emohead.errors import EmoheadError
from emohead.motion import get_spec, specs
from emohead.render import RENDERERS

MODELS = list(specs())
# Known defects of bundled weights, measured by the test below; strict, so fixing one turns it into a failure
# to remove from here. (The mul2lm bundled before 2026-11-24 ignored its emotional portrait; retrained with each
# synthetic row's real source recording as the identity reference, it honours every kind it declares.)
INERT: dict[tuple[str, str], str] = {}
HAS_TORCH = True
try:
    import torch  # noqa: F401
except ImportError:
    HAS_TORCH = False


def _needs(spec):
    if spec.extra in ("train", "text") and not HAS_TORCH:
        pytest.skip(f"{spec.name} needs the {spec.extra} extra")
    if spec.extra == "text":
        pytest.importorskip("sentence_transformers")


@pytest.fixture(scope="module")
def inputs(demo_portrait, short_audio):
    """The demo portrait and 3 s of its speech, analysed once for every test here."""
    return emohead.analyze(demo_portrait, short_audio, transcript="And so my fellow Americans")


@pytest.fixture(scope="module")
def references(inputs):
    """Two reference photos made from the demo face: smiling, and frowning with raised inner brows."""
    from emohead.emotion.prototypes import load_prototypes
    from emohead.face import blendshapes as bs
    from emohead.render.warp import WarpRenderer

    face, protos = inputs.portrait, load_prototypes()
    renderer = WarpRenderer(face)
    out = []
    for emotion in ("happy", "sad"):
        w = np.clip(face.blendshapes + protos.label_offset(emotion, 1.2), 0, 1)[None].astype(np.float32)
        w[:, bs.INDEX["jawOpen"]] = 0
        out.append(renderer.render(face.face_model.mesh(face.neutral, w, face.pose[None])[0]))
    return out


def _probes(references) -> dict[str, tuple[dict, dict]]:
    """Two requests of each kind that a model honouring the kind must tell apart."""
    return {
        "label": ({"emotion": "happy"}, {"emotion": "sad"}),
        "timeline": ({"emotion": "happy@0-1.5,sad@1.5-"}, {"emotion": "sad@0-1.5,happy@1.5-"}),
        "intensity_curve": ({"emotion": "happy", "intensity_curve": "0:0,3:1"}, {"emotion": "happy", "intensity_curve": "0:1,3:0"}),
        "reference": ({"reference": references[0]}, {"reference": references[1]}),
        "text": ({"text": "a broad, delighted smile"}, {"text": "furious, scowling, teeth clenched"}),
        "voice": ({"emotion": "voice"}, {"emotion": "neutral"}),
    }


def _ask(inputs, request: dict):
    request = dict(request)
    return inputs.with_emotion(request.pop("emotion", None), **request)


@pytest.mark.parametrize("name", MODELS)
def test_motion_shapes_and_ranges(name, inputs):
    _needs(get_spec(name))
    motion = emohead.load_motion_model(name).generate(_ask(inputs, {"emotion": "happy"} if "label" in get_spec(name).conditions else {}))
    n = inputs.n_frames
    assert motion.blendshapes.shape == (n, 52) and motion.blendshapes.dtype == np.float32
    assert 0 <= motion.blendshapes.min() and motion.blendshapes.max() <= 1
    assert motion.pose.shape == (n, 6) and np.isfinite(motion.pose).all()
    lm = motion.lm68()
    assert lm.shape == (n, 68, 3) and np.isfinite(lm).all()
    assert 0 < lm[..., :2].min() and lm[..., :2].max() < inputs.portrait.size  # the face stays in the crop


@pytest.mark.parametrize("name", MODELS)
def test_seeded_runs_are_identical(name, inputs):
    _needs(get_spec(name))
    model = emohead.load_motion_model(name)
    a, b = model.generate(inputs), model.generate(inputs)
    assert np.array_equal(a.blendshapes, b.blendshapes) and np.array_equal(a.pose, b.pose)


@pytest.mark.parametrize("name", MODELS)
def test_save_then_load_gives_identical_motion(name, inputs, tmp_path):
    spec = get_spec(name)
    _needs(spec)
    if spec.weights is None:
        pytest.skip(f"{name} has nothing learnt to save")
    model = emohead.load_motion_model(name)
    model.save_pretrained(tmp_path / "w")
    again = emohead.load_motion_model(name, weights=str(tmp_path / "w"))
    assert again.net.config == model.net.config
    asked = inputs.with_emotion("sad") if "label" in spec.conditions else inputs  # the calibrated gains travel too
    assert np.array_equal(model.generate(asked).blendshapes, again.generate(asked).blendshapes)


@pytest.mark.parametrize(
    "name, kind",
    [
        pytest.param(m, k, marks=pytest.mark.xfail(reason=INERT[m, k], strict=True)) if (m, k) in INERT else (m, k)
        for m in MODELS
        for k in KINDS
    ],
)
def test_declared_conditions_change_the_output_and_others_are_refused(name, kind, inputs, references):
    spec = get_spec(name)
    _needs(spec)
    model = emohead.load_motion_model(name)
    first, second = (_ask(inputs, r) for r in _probes(references)[kind])
    if kind in spec.conditions:
        a, b = model.generate(first), model.generate(second)
        assert np.abs(a.blendshapes - b.blendshapes).max() > 0.02, f"{name} ignores its {kind} condition"
    else:
        with pytest.raises(EmoheadError, match=f"--model {name} cannot honour") as err:
            model.generate(first)
        able = [s.name for s in specs().values() if kind in s.conditions]
        assert "\n" not in str(err.value) and all(m in str(err.value) for m in able)


@pytest.mark.parametrize("name", [m for m in MODELS if "label" in get_spec(m).conditions])
def test_every_labelled_emotion_reaches_the_face_at_a_visible_share_of_its_prototype(name, inputs):
    """Against the neutral label, the mean blendshape change of each emotion at intensity 1, projected on that
    emotion's prototype, is at least 0.3 of it: a model that learnt only some emotions fails here. (The mul2lm
    bundled before, with its absolute emotion encoder, fails on sad; an mfetalk trained 6,000 steps on whisper's
    states, on angry at every seed.) Averaged over three seeds, each emotion against the neutral label drawn with
    the same seed: a sampling model's neutral face varies from draw to draw (mfetalk at seed 0 on this clip
    frowns a little, as the portrait does)."""
    from emohead.emotion.prototypes import load_prototypes

    _needs(get_spec(name))
    model, protos = emohead.load_motion_model(name), load_prototypes()

    def face(emotion: str, seed: int) -> np.ndarray:
        return model.generate(dataclasses.replace(inputs.with_emotion(emotion, intensity=1.0), seed=seed)).blendshapes.mean(0)

    seeds = (0, 1, 2)
    base = {seed: face("neutral", seed) for seed in seeds}
    for emotion in ("happy", "sad", "angry", "fear", "surprise", "disgust"):
        change = np.mean([face(emotion, seed) - base[seed] for seed in seeds], axis=0)
        proto = protos.label_offset(emotion, 1.0)
        assert change @ proto / (proto @ proto) > 0.3, f"{name} barely shows {emotion}"


@pytest.mark.parametrize("name", ["eapc", "mul2lm"])
def test_a_landmark_models_calibrated_gains_draw_each_emotion_in_full_and_leave_the_lips_alone(name, inputs):
    """scripts/calibrate_emotion_gain.py measured on other portraits that the networks draw 0.58-0.84 of each prototype
    (on this face unscaled: eapc 0.67-0.85, mul2lm 0.58-0.77); with the gains bundled beside the weights, this face
    (never calibrated on) gets at least 0.75 of every emotion (eapc 1.01-1.19, mul2lm 0.80-0.95; mul2lm's angry is
    held back by a brow it already lowers), the channels that open the mouth are exactly the unscaled run's, and the
    emotion channels flicker no more than unscaled (a raw gain on the two runs' difference raised their mean second
    difference by a third: it amplified the landmark fit's noise). The heard mouth (the bundled eapc's) reshapes the
    opening from the whole lip gap, an emotion's share of it included, so it is left out for the exact check, and the
    bundle that mixes it in is allowed a hair (0.005 of a channel)."""
    from emohead.emotion.prototypes import EXPRESSIVE, load_prototypes
    from emohead.face import blendshapes as bs

    _needs(get_spec(name))
    model, protos = emohead.load_motion_model(name, heard_mouth=False), load_prototypes()
    assert model.emotion_gains is not None, f"{name} has no emotion.json beside its weights"
    lips = [i for i in bs.indices(bs.SPEECH_CHANNELS) if i not in bs.indices(EXPRESSIVE)]  # jaw, lower lip, funnel, pucker

    def flicker(w):  # mean frame-to-frame acceleration of the emotion channels
        return np.abs(np.diff(w[:, protos.channels], 2, axis=0)).mean()

    base = model.generate(inputs.with_emotion("neutral", intensity=1.0)).blendshapes.mean(0)
    for emotion in ("happy", "sad", "angry", "fear", "surprise", "disgust"):
        asked = inputs.with_emotion(emotion, intensity=1.0)
        w = model.generate(asked).blendshapes
        proto = protos.label_offset(emotion, 1.0)
        assert (w.mean(0) - base) @ proto / (proto @ proto) > 0.75, f"{name} draws too little {emotion}"
        model.emotion_gains, gains = None, model.emotion_gains
        unscaled = model.generate(asked).blendshapes
        model.emotion_gains = gains
        assert np.array_equal(w[:, lips], unscaled[:, lips]), f"{name}'s gain moved the lips for {emotion}"
        assert flicker(w) < 1.1 * flicker(unscaled), f"{name}'s gain makes {emotion} flicker"
    bundled = emohead.load_motion_model(name)
    if bundled.heard_mouth:  # eapc: a quarter of the shape heard
        w = bundled.generate(inputs.with_emotion("happy", intensity=1.0)).blendshapes
        bundled.emotion_gains = None
        unscaled = bundled.generate(inputs.with_emotion("happy", intensity=1.0)).blendshapes
        assert np.abs(w[:, lips] - unscaled[:, lips]).max() < 0.005, f"{name}'s gain moved the heard lips for happy"


@pytest.mark.parametrize("name", list(RENDERERS))
def test_renderer_frames_are_deterministic_and_survive_save_load(name, inputs, tmp_path):
    spec = RENDERERS[name]
    _needs(spec)
    motion = emohead.load_motion_model("analytic").generate(inputs.with_emotion("happy")).trim(6)
    size = inputs.portrait.size
    frames = list(emohead.render(inputs, motion, renderer=name))
    assert len(frames) == 6 and all(f.shape == (size, size, 3) and f.dtype == np.uint8 for f in frames)
    again = list(emohead.render(inputs, motion, renderer=name))
    assert all(np.array_equal(a, b) for a, b in zip(frames, again))
    if spec.weights is None:
        return
    renderer = emohead.load_renderer(name, inputs.portrait)
    doc = json.loads((renderer_weights_dir(spec) / "config.json").read_text())
    renderer.net.save_pretrained(tmp_path / "w", extra={k: v for k, v in doc.items() if k not in ("class", "config")})
    reloaded = list(emohead.render(inputs, motion, renderer=name, weights=str(tmp_path / "w")))
    assert all(np.array_equal(a, b) for a, b in zip(frames, reloaded))


def renderer_weights_dir(spec):
    from emohead.weights import resolve_weights

    return resolve_weights(spec.weights_location)


def test_every_model_declares_known_condition_kinds():
    for spec in specs().values():
        assert spec.conditions <= set(KINDS), spec.name
        assert spec.summary and "\n" not in spec.summary
