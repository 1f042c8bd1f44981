"""MEDTalk: paper shapes, the four training stages, save/load, the disentanglement on held-back pairs, the FIM
against its target on held-back clips, text guidance on held-out phrasings, and the model's conditions."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("lightning")

from emohead.errors import EmoheadError  # noqa: E402
from emohead.motion.medtalk.network import MEDTalk  # noqa: E402
from emohead.motion.medtalk.training import STAGES, TRAINED, MedtalkModule  # noqa: E402
from emohead.motion.speech import SPEECH_DIMS  # noqa: E402
from tests.conftest import shared_data, train_on_two_processes  # noqa: E402

TINY = {"code": 16, "fim_dim": 8, "heads": 2}


def test_paper_shapes():
    net = MEDTalk()
    rig = torch.rand(2, 30, 52)
    e, c = net.encode(rig)
    assert e.shape == c.shape == (2, 30, 256)
    assert net.decode(e, c).shape == (2, 30, 52)
    assert [m.out_features for m in net.enc_emotion if isinstance(m, torch.nn.Linear)] == [256, 256]
    assert [m.out_features for m in net.decoder if isinstance(m, torch.nn.Linear)] == [256, 52]
    for speech, dim in SPEECH_DIMS.items():  # whisper encoder states (wav2vec2's stand-in) or MFCC windows
        assert MEDTalk(speech=speech).content(torch.randn(2, 30, dim)).shape == (2, 30, 256)
    intensity = net.intensity(torch.randn(2, 30, 26), torch.randn(2, 9, 384), torch.ones(2, 9, dtype=torch.bool))
    assert intensity.shape == (2, 30) and bool((intensity >= 0).all())
    direction = net.label_direction(torch.tensor([1, 3]))
    assert torch.allclose(direction.norm(dim=-1), torch.ones(2))
    assert net.emotion_code(direction, torch.rand(2, 30)).shape == (2, 30, 256)
    for kind, dim in (("text", 384), ("image", 52)):
        assert torch.allclose(net.guide_direction(kind, torch.randn(2, dim)).norm(dim=-1), torch.ones(2))
        assert net.guide_strength(kind, torch.randn(2, dim)).shape == (2,)


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_trains_only_its_own_parts(stage):
    torch.manual_seed(0)
    net = MEDTalk(**TINY)
    module = MedtalkModule(net, stage=stage)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    opt = module.bench_optimizers()[0]
    for _ in range(3):
        module.optimisation_step(module.random_batch(4, 12), [opt])
    changed = {k.split(".")[0] for k, v in net.state_dict().items() if not torch.equal(v, before[k])}
    assert changed == set(TRAINED[stage]), (stage, changed)


def test_unknown_stage_is_refused():
    with pytest.raises(ValueError, match="unknown MEDTalk stage"):
        MedtalkModule(MEDTalk(**TINY), stage="everything")


def test_save_load_gives_identical_outputs(tmp_path):
    torch.manual_seed(0)
    net = MEDTalk(**TINY).eval()
    net.save_pretrained(tmp_path)
    back = MEDTalk.from_pretrained(tmp_path)
    rig = torch.rand(1, 10, 52)
    with torch.no_grad():
        assert torch.equal(net.decode(*net.encode(rig)), back.decode(*back.encode(rig)))
        v, t, m = torch.randn(1, 10, 26), torch.randn(1, 5, 384), torch.ones(1, 5, dtype=torch.bool)
        assert torch.equal(net.intensity(v, t, m), back.intensity(v, t, m))


def test_stage_order_is_enforced(tmp_path, cache):
    from emohead.train.run import train

    with pytest.raises(EmoheadError, match="train --stage autoencoder first"):
        train("medtalk", cache, tmp_path / "run", stage="content", progress=False)
    with pytest.raises(EmoheadError, match="unknown --stage 'decoder'"):
        train("medtalk", cache, tmp_path / "run", stage="decoder", progress=False)
    with pytest.raises(EmoheadError, match="eapc is trained in one go; drop --stage"):
        train("eapc", cache, tmp_path / "run", stage="content", progress=False)


@pytest.mark.slow
def test_all_four_stages_run_in_order_on_real_clips(tmp_path, cache):
    """``emohead train medtalk`` with no --stage: each stage starts from the previous one's weights."""
    from emohead.train.run import train

    config = {"model": TINY, "train": {"lr": 1e-3}, "data": {"window": 20}, "stages": {s: {"max_steps": 4} for s in STAGES}}
    summary = train("medtalk", cache, tmp_path / "run", config, batch_size=8, progress=False)
    assert list(summary["stages"]) == list(STAGES) and summary["steps"] == 16
    assert (tmp_path / "run" / "weights" / "model.safetensors").is_file()
    assert MEDTalk.from_pretrained(tmp_path / "run" / "weights").config["code"] == 16


@pytest.mark.slow
def test_the_stages_run_in_order_on_two_processes(tmp_path, cache):
    """Under DDP every rank starts a stage from the weights rank 0 wrote at the end of the one before (rank 1 used to
    run ahead and find no weights there)."""
    config = {"model": TINY, "data": {"window": 20}, "stages": {s: {"max_steps": 2} for s in STAGES}}
    train_on_two_processes("medtalk", cache, tmp_path / "ddp", config)
    summary = json.loads((tmp_path / "ddp" / "summary.json").read_text())
    assert list(summary["stages"]) == list(STAGES) and summary["steps"] == 8
    assert MEDTalk.from_pretrained(tmp_path / "ddp" / "weights").config["code"] == 16


def test_training_on_speech_features_the_cache_lacks_says_how_to_prepare_them(tmp_path, heldback_cache):
    """The held-back cache was prepared without whisper's encoder states: asking for them is a one-line error naming
    the fix, and so is a network that reads other features than the data gives."""
    from emohead.train.run import train

    config = {
        "model": {**TINY, "speech": "whisper"},
        "data": {"window": 20, "speech": "whisper"},
        "stages": {"autoencoder": {"max_steps": 1}},
    }
    with pytest.raises(EmoheadError, match="no whisper features.*--whisper-features"):
        train("medtalk", heldback_cache, tmp_path / "a", config, stage="autoencoder", progress=False)
    config = {"model": {**TINY, "speech": "whisper"}, "data": {"window": 20}, "stages": {"autoencoder": {"max_steps": 1}}}
    with pytest.raises(EmoheadError, match="same .speech."):
        train("medtalk", heldback_cache, tmp_path / "b", config, stage="autoencoder", batch_size=4, progress=False)


def _bundled():
    from emohead.motion import get_spec

    spec = get_spec("medtalk")
    return spec.load(spec.network).from_pretrained(spec.weights_location).eval()


@pytest.mark.slow
def test_swapped_codes_take_content_from_one_clip_and_emotion_from_the_other(heldback_cache):
    """Decoding (emotion of clip A, content of clip B), on held-back speakers, reproduces B's lip channels and A's
    emotion channels better than swapping nothing: the truth is B's lip track with A's emotion."""
    from emohead.eval.rig import EMOTION_CHANNELS, LIP_CHANNELS
    from emohead.motion.medtalk.training import MedtalkData

    net, data = _bundled(), MedtalkData(heldback_cache, "train")
    row = {(c["source"].split("_")[-1], c["emotion"], c["level"]): c["rig"] for c in data.clips if c["level"] in (1, 3)}
    wins = []
    for a_emotion, b_emotion in ((1, 3), (3, 2), (2, 5), (5, 1)):  # happy/angry, angry/sad, sad/surprise, surprise/happy
        a, b, truth = row[("swiz3n", a_emotion, 3)], row[("lwbsza", b_emotion, 3)], row[("lwbsza", a_emotion, 3)]
        n = min(len(a), len(b))
        a, b, truth = (torch.from_numpy(x[:n]) for x in (a, b, truth))
        with torch.no_grad():
            (ea, ca), (eb, cb) = net.encode(a), net.encode(b)
            swapped, a_only, b_only = net.decode(ea, cb), net.decode(ea, ca), net.decode(eb, cb)

        def err(x, channels, truth=truth):
            return float((x - truth)[:, channels].abs().mean())

        lip, emo = LIP_CHANNELS, EMOTION_CHANNELS
        wins.append((err(swapped, lip) < err(a_only, lip), err(swapped, emo) < err(b_only, emo)))
        assert err(swapped, emo) < 0.5 * err(b_only, emo), (a_emotion, b_emotion)
    assert all(lip and emo for lip, emo in wins), wins


@pytest.mark.slow
def test_fim_intensity_follows_the_target_on_held_back_clips(heldback_cache, cache):
    """Frame-wise intensity from voice and words against Eq. 8's target on real clips the bundled weights never
    trained on: the two held-back GRID speakers (neutral) and CREMA-D 1001 happy (``hold_back`` in config.json)."""
    from emohead.motion import get_spec
    from emohead.motion.medtalk.rig import savgol_smooth
    from emohead.motion.medtalk.training import MedtalkData

    assert "cremad_1001_DFA_HAP_XX" in get_spec("medtalk").default_config["data"]["hold_back"]
    net = _bundled()
    clips = [(d, c) for d in (MedtalkData(heldback_cache, "train"), MedtalkData(cache, "train")) for c in d.clips if not c["synthetic"]]
    clips = [(d, c) for d, c in clips if c["source"] != "cremad_1001_DFA_NEU_XX" and c["emotion"] in (0, 1)]  # never trained on
    assert len(clips) == 3
    pred, true = [], []
    for d, c in clips:
        tokens = d.tokens[c["transcript"]]
        with torch.no_grad():
            p = net.intensity(
                torch.from_numpy(c["voice"][None]), torch.from_numpy(tokens[None]), torch.ones(1, len(tokens), dtype=torch.bool)
            )
        pred.append(savgol_smooth(p[0].numpy()))
        true.append(c["intensity"])
    r = np.corrcoef(np.concatenate(pred), np.concatenate(true))[0, 1]
    assert r > 0.5, r
    happy = next(i for i, (_, c) in enumerate(clips) if c["emotion"] == 1)
    assert pred[happy].mean() > 2 * max(p.mean() for i, p in enumerate(pred) if i != happy)  # the happy voice reads stronger


@pytest.mark.slow
def test_a_description_lands_near_its_emotion_even_in_phrasings_never_trained_on():
    import random

    from emohead.emotion.vocabulary import EMOTIONS
    from emohead.motion.medtalk.descriptions import describe
    from emohead.text.minilm import sentence_embeddings

    net = _bundled()
    with torch.no_grad():
        labels = net.label_direction(torch.arange(len(EMOTIONS)))

    def nearest(texts):
        with torch.no_grad():
            d = net.guide_direction("text", torch.from_numpy(sentence_embeddings(texts)))
        return (d @ labels.T).numpy()

    sims = nearest(["a furious face", "he looks absolutely furious while he talks"])
    assert (sims[:, EMOTIONS.index("angry")] > sims[:, EMOTIONS.index("happy")]).all()
    rng = random.Random(7)
    held_out = [(describe(e, 3, rng, held_out=True), e) for e in ("happy", "sad", "angry", "surprise", "disgust", "fear") for _ in range(4)]
    sims = nearest([t for t, _ in held_out])
    angry_texts = [i for i, (_, e) in enumerate(held_out) if e == "angry"]
    assert (sims[angry_texts, EMOTIONS.index("angry")] > sims[angry_texts, EMOTIONS.index("happy")]).all()
    right = np.mean([EMOTIONS[int(np.argmax(s))] == e for s, (_, e) in zip(sims, held_out)])
    assert right >= 0.6, (right, held_out)


@pytest.fixture(scope="module")
def demo_inputs(demo_portrait, short_audio):
    import emohead

    return emohead.analyze(demo_portrait, short_audio, transcript="And so my fellow Americans")


def test_intensity_is_predicted_per_frame_unless_given(demo_inputs):
    import emohead
    from emohead.motion.medtalk.rig import INTENSITY_CHANNELS

    model = emohead.load_motion_model("medtalk")
    predicted = demo_inputs.with_emotion("happy")
    motion = model.generate(predicted)
    assert any("intensity from voice and words" in n for n in predicted.notes)
    curve = model.frame_intensity(predicted)
    assert curve.shape == (demo_inputs.n_frames,) and curve.std() > 0  # it changes within the clip
    strength = {}
    for value in (0.33, 0.66, 1.0):
        asked = demo_inputs.with_emotion("happy", intensity=value)
        w = model.generate(asked).blendshapes
        assert any(f"intensity as requested (mean {value:.2f}" in n for n in asked.notes)
        strength[value] = float(w[:, INTENSITY_CHANNELS].sum(1).mean())
    assert strength[0.33] < strength[0.66] < strength[1.0]  # a larger intensity shows more
    own = demo_inputs.with_emotion("happy:0.66")  # the label's own intensity counts as given too
    np.testing.assert_allclose(model.generate(own).blendshapes[:, INTENSITY_CHANNELS].sum(1).mean(), strength[0.66], rtol=1e-5)
    assert motion.blendshapes.shape == (demo_inputs.n_frames, 52)


def test_descriptions_carry_their_own_strength(demo_inputs):
    import emohead

    model = emohead.load_motion_model("medtalk")
    notes = {}
    for text in ("barely, slightly happy", "extremely, intensely happy"):
        asked = demo_inputs.with_emotion(text=text)
        model.generate(asked)
        notes[text] = float(next(n for n in asked.notes if "text strength" in n).split("text strength ")[1].split(" ")[0])
    assert notes["barely, slightly happy"] < notes["extremely, intensely happy"], notes


@pytest.mark.slow
def test_a_real_smiling_photo_as_reference_makes_medtalk_smile(demo_inputs):
    """CREMA-D actor 1001's acted happy apex as the reference (a real photo, not a render): the smile rises. The
    learnt P_image strength head read real photos as neutral (0.07 here) before the reference was projected on
    its nearest prototype."""
    import emohead
    from emohead.face import blendshapes as bs
    from emohead.video.io import read_frames

    frames = list(read_frames(shared_data("video", "cremad", "1001_DFA_HAP_XX.flv")))
    model = emohead.load_motion_model("medtalk")
    asked = demo_inputs.with_emotion(reference=frames[44])  # MediaPipe scores the smile 0.92 from frame 40 on
    smile = bs.indices(("mouthSmileLeft", "mouthSmileRight"))
    with_photo = model.generate(asked).blendshapes[:, smile].mean()
    neutral = model.generate(demo_inputs.with_emotion("neutral")).blendshapes[:, smile].mean()
    assert with_photo > neutral + 0.15, (with_photo, neutral)
    strength = float(next(n for n in asked.notes if "reference strength" in n).split("reference strength ")[1].split(" ")[0])
    assert strength > 0.3


def test_speech_longer_than_whispers_window_is_heard_to_the_end(tmp_path, demo_audio):
    """medtalk and mfetalk read whisper's encoder 30 s at a time: a 44 s recording gets states for every frame,
    the first window's are those of reading it alone, and speech after 30 s is heard (not padding)."""
    pytest.importorskip("faster_whisper")
    from emohead.audio.io import load_audio
    from emohead.text.asr import whisper_states, whisper_states_of
    from tests.conftest import ffmpeg

    long = tmp_path / "long.wav"
    ffmpeg("-stream_loop", "3", "-i", str(demo_audio), "-ar", "16000", "-ac", "1", str(long))
    samples = load_audio(long)
    n = len(samples) // 640
    assert n > 1000
    states = whisper_states_of(long, n)
    assert states.shape == (n, 384)
    np.testing.assert_allclose(states[:750], whisper_states(samples[: 30 * 16000], 750), atol=1e-4)
    tail = states[760:n]
    assert float(np.abs(np.diff(tail, axis=0)).mean()) > 0.5 * float(np.abs(np.diff(states[:740], axis=0)).mean())


def test_whispers_states_are_read_once_for_every_emotion_asked_of_the_same_recording(demo_inputs, monkeypatch):
    """``with_emotion`` is cheap: a contact sheet's seven rows read the recording through whisper's encoder once."""
    import emohead
    from emohead.text import asr

    calls = []
    real = asr.whisper_states_of
    monkeypatch.setattr(asr, "whisper_states_of", lambda *a: calls.append(a) or real(*a))
    model, inputs = emohead.load_motion_model("medtalk"), dataclasses.replace(demo_inputs, speech={})
    for emotion in ("neutral", "happy", "sad"):
        model.generate(inputs.with_emotion(emotion, intensity=1.0))
    assert len(calls) == 1
