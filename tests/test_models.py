"""The landmark-space models (mul2lm, EAPC): shapes, save/load, ablations, learning, DDP, generation."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("lightning")

from emohead.motion.eapc.network import EAPC  # noqa: E402
from emohead.motion.mul2lm.network import Mul2Lm  # noqa: E402
from emohead.nn.discriminators import RealismDiscriminator, TemporalDiscriminator  # noqa: E402
from tests.conftest import DEMO_TRANSCRIPT, train_on_two_processes  # noqa: E402

TINY_M = {"hidden": 16, "heads": 2, "layers": 1}
TINY_E = {"hidden": 16, "llf_hidden": 8}


def _mul2lm_inputs(b=2, t=10, seed=0):
    g = torch.Generator().manual_seed(seed)
    return (
        torch.randn(b, t, 40, generator=g),
        torch.rand(b, t, 227, generator=g),
        torch.randn(b, 204, generator=g),
        torch.randn(b, t, 204, generator=g),
    )


def _eapc_inputs(b=2, t=25, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(b, t, 28, 12, generator=g), torch.randn(b, t, 25, generator=g), torch.randn(b, 136, generator=g)


def test_mul2lm_shapes_and_every_branch_learns():
    torch.manual_seed(0)
    net = Mul2Lm(**TINY_M)
    q = net(*_mul2lm_inputs())
    assert q.shape == (2, 10, 204)
    q.pow(2).mean().backward()
    for name in ("audio_lstm", "text_encoder", "identity_encoder", "emotion_encoder", "decoder", "merge"):
        grads = [p.grad for p in getattr(net, name).parameters()]
        assert all(g is not None for g in grads) and sum(g.abs().sum() for g in grads) > 0, name
    assert RealismDiscriminator()(q.detach()).shape == (2, 10) and TemporalDiscriminator()(q.detach()).shape == (2, 9)


def test_mul2lm_paper_dimensions():
    net = Mul2Lm()
    assert [m.out_features for m in net.decoder if isinstance(m, torch.nn.Linear)] == [512, 256, 256, 256, 204]
    assert net.decoder[0].in_features == 768
    assert [m.out_features for m in net.identity_encoder if isinstance(m, torch.nn.Linear)] == [256] * 5
    assert net.audio_lstm.hidden_size == 256


def test_eapc_shapes_and_paper_head():
    torch.manual_seed(0)
    net = EAPC(**TINY_E)
    lm, logits = net(*_eapc_inputs())
    assert lm.shape == (2, 25, 136) and logits.shape == (2, 25, 8)
    (lm.pow(2).mean() + logits.pow(2).mean()).backward()
    assert all(p.grad is not None for p in net.parameters())
    full = EAPC()
    assert [m.out_features for m in full.head if isinstance(m, torch.nn.Linear)] == [512, 256, 136]
    assert full.audio_lstm.num_layers == 3 and full.llf_encoder.lstm.num_layers == 3
    _, llf, ref = _eapc_inputs()
    heard = EAPC(**TINY_E, speech="whisper")(torch.randn(2, 25, 384), llf, ref)[0]  # the bundled weights' input
    assert heard.shape == (2, 25, 136) and full.audio_lstm.input_size == 336


@pytest.mark.parametrize("cls, cfg, inputs", [(Mul2Lm, TINY_M, _mul2lm_inputs), (EAPC, TINY_E, _eapc_inputs)])
def test_save_load_gives_identical_outputs(tmp_path, cls, cfg, inputs):
    torch.manual_seed(1)
    net = cls(**cfg).eval()
    net.save_pretrained(tmp_path / "w")
    again = cls.from_pretrained(tmp_path / "w")
    assert json.loads((tmp_path / "w" / "config.json").read_text())["config"] == net.config
    a, b = net(*inputs()), again(*inputs())
    a, b = (a[0], b[0]) if isinstance(a, tuple) else (a, b)
    assert torch.equal(a, b)


def test_mul2lm_ablations_remove_their_input():
    torch.manual_seed(0)
    mfcc, text, p_id, p_emo = _mul2lm_inputs()
    _, text2, _, p_emo2 = _mul2lm_inputs(seed=5)
    full, no_emo, no_text = Mul2Lm(**TINY_M).eval(), Mul2Lm(**TINY_M, use_emotion=False).eval(), Mul2Lm(**TINY_M, use_text=False).eval()
    assert not torch.allclose(full(mfcc, text, p_id, p_emo), full(mfcc, text, p_id, p_emo2))
    assert not torch.allclose(full(mfcc, text, p_id, p_emo), full(mfcc, text2, p_id, p_emo))
    assert no_emo.emotion_encoder is None and torch.equal(no_emo(mfcc, text, p_id, p_emo), no_emo(mfcc, text, p_id, p_emo2))
    assert torch.equal(no_text(mfcc, text, p_id, p_emo), no_text(mfcc, text2, p_id, p_emo))


def test_eapc_ablations_change_the_computation():
    torch.manual_seed(0)
    base = EAPC(**TINY_E).eval()
    x = _eapc_inputs()
    for switch in ({"skip": False}, {"attention": False}):
        variant = EAPC(**TINY_E, **switch).eval()
        variant.load_state_dict(base.state_dict())  # same weights: only the switch differs
        assert not torch.allclose(base(*x)[0], variant(*x)[0]), switch
    label = torch.zeros(2, 25, 8)
    label[..., 1] = 1.0  # a user's "happy" replaces the voice's emotion
    assert not torch.allclose(base(*x)[0], base(*x, emotion=label)[0])


def test_eapc_at_inference_reads_speech_as_its_training_data_gives_it(demo_portrait, short_audio):
    """The bundled eapc was trained on the cached MFCC windows as they are; fed the scaled windows medtalk reads, its
    held-back lip sync fell from 0.523 to 0.346 (benchmarks/lipsync_real.py) without any error."""
    import emohead
    from emohead.motion.landmarks import reference_face

    inputs = emohead.analyze(demo_portrait, short_audio, transcript="And so my fellow Americans")
    model = emohead.load_motion_model("eapc")
    assert model.net.speech == "mfcc"
    ref = torch.from_numpy(reference_face(inputs)[:, :2].reshape(1, -1).astype(np.float32))
    with torch.no_grad():
        direct, _ = model.net(torch.from_numpy(inputs.audio.mfcc_window[None, :25]), torch.from_numpy(inputs.audio.llf[None, :25]), ref)
        first = model.predict(inputs)[:20].reshape(20, -1)  # frames only the first 25-frame window covers
    assert np.allclose(first, direct[0, :20].numpy(), atol=1e-5)


def test_fit_blendshapes_recovers_known_curves(demo_face):
    from emohead.face import blendshapes as bs
    from emohead.face.ibug68 import to_ibug68

    fm = demo_face.face_model
    w = np.zeros((5, 52), np.float32)
    w[:, bs.INDEX["jawOpen"]] = np.linspace(0, 0.8, 5)
    w[:, bs.INDEX["mouthSmileLeft"]] = w[:, bs.INDEX["mouthSmileRight"]] = 0.5
    lm = to_ibug68(fm.canonical(demo_face.neutral, w))
    fit = fm.fit_blendshapes(demo_face.neutral, lm)
    assert np.abs(to_ibug68(fm.canonical(demo_face.neutral, fit)) - lm).max() < 0.02  # landmarks reproduced
    assert np.corrcoef(fit[:, bs.INDEX["jawOpen"]], w[:, bs.INDEX["jawOpen"]])[0, 1] > 0.99


def test_fit_blendshapes_recovers_an_emotion_without_shrinking_it(demo_face):
    """A landmark model's emotion must reach the renderer at its size: the fit of the landmarks of a full sad
    face gives back most of the sad prototype (clipping an unbounded ridge fit gave back about 0.7)."""
    from emohead.emotion.prototypes import load_prototypes
    from emohead.face.ibug68 import to_ibug68

    fm, protos = demo_face.face_model, load_prototypes()
    for emotion in ("sad", "angry", "surprise"):
        w = np.clip(protos.baseline + protos.label_offset(emotion, 1.0), 0, 1)[None].astype(np.float32)
        fit = fm.fit_blendshapes(demo_face.neutral, to_ibug68(fm.canonical(demo_face.neutral, w)))
        proto = protos.label_offset(emotion, 1.0)
        recovered = float((fit[0] - protos.baseline) @ proto / (proto @ proto))
        assert 0.85 < recovered < 1.1, (emotion, recovered)
        assert fit.min() >= 0.0 and fit.max() <= 1.0


@pytest.mark.slow
@pytest.mark.parametrize("model", ["eapc", "mul2lm"])
def test_a_few_steps_on_real_clips_lower_the_loss(cache, model):
    from torch.utils.data import DataLoader

    from emohead.motion.eapc.training import EapcData, EapcModule
    from emohead.motion.mul2lm.training import Mul2LmData, Mul2LmModule

    torch.manual_seed(0)
    if model == "eapc":
        module, data = EapcModule(EAPC(**TINY_E, speech="whisper"), lr=3e-3), EapcData(cache, speech="whisper")  # as bundled

        def loss(b):
            return module.loss(b)[0]
    else:
        module, data = Mul2LmModule(Mul2Lm(**TINY_M), lr=3e-3), Mul2LmData(cache)

        def loss(b):
            _, l_f, l_l = module.generator_loss(b)
            return l_f + l_l

    batch = next(iter(DataLoader(data, batch_size=8, shuffle=True)))
    opt = torch.optim.Adam(module.net.parameters(), lr=3e-3)
    before = float(loss(batch).detach())
    for _ in range(50):
        opt.zero_grad()
        loss(batch).backward()
        opt.step()
    assert float(loss(batch).detach()) < 0.75 * before


@pytest.mark.parametrize("model", ["eapc", "emospeaker"])
def test_window_data_without_the_speech_features_asked_for_says_how_to_prepare_them(heldback_cache, model):
    """The held-back cache has no whisper states; read lazily, they would fail as a KeyError in a loader worker."""
    from emohead.errors import EmoheadError
    from emohead.motion import get_spec

    spec = get_spec(model)
    with pytest.raises(EmoheadError, match="no whisper features.*--whisper-features") as err:
        spec.load(spec.dataset)(heldback_cache, "train", speech="whisper")
    assert "\n" not in str(err.value)


def test_eapc_dropout_acts_in_training_only():
    torch.manual_seed(0)
    net, x = EAPC(**TINY_E, dropout=0.5), _eapc_inputs()
    assert not torch.equal(net.train()(*x)[0], net(*x)[0])
    plain = EAPC(**TINY_E)
    plain.load_state_dict(net.state_dict())
    with torch.no_grad():
        assert torch.equal(net.eval()(*x)[0], plain.eval()(*x)[0])


def test_eapc_with_cepstral_mean_normalisation_ignores_a_fixed_channel_colouring():
    """A fixed offset per MFCC coefficient is what another microphone or voice timbre adds; with ``cmn`` the
    network's output does not move, without it it does."""
    torch.manual_seed(0)
    speech, llf, ref = _eapc_inputs()
    offset = torch.randn(1, 1, 1, speech.shape[-1])
    for cmn in (True, False):
        net = EAPC(**TINY_E, cmn=cmn).eval()
        with torch.no_grad():
            same = torch.allclose(net(speech, llf, ref)[0], net(speech + offset, llf, ref)[0], atol=1e-5)
        assert same == cmn


def test_eapc_training_with_vtlp_warps_the_voice_in_training_only_and_checks_its_setting():
    from emohead.errors import EmoheadError
    from emohead.motion.eapc.training import EapcModule

    torch.manual_seed(0)
    module = EapcModule(EAPC(**TINY_E), vtlp=0.1)
    batch = module.random_batch(4)
    warped = module.warped(batch["speech"])
    assert warped.shape == batch["speech"].shape and not torch.allclose(warped, batch["speech"], atol=1e-3)
    plain = EapcModule(module.net)
    with torch.no_grad():
        assert not torch.equal(module.train().loss(batch)[0], plain.train().loss(batch)[0])  # training: warped
        assert torch.equal(module.eval().loss(batch)[0], plain.eval().loss(batch)[0])  # validation: unwarped
    for bad, kind, match in ((0.6, "mfcc", "from 0"), (0.1, "whisper", "warps MFCC")):
        with pytest.raises(EmoheadError, match=match) as err:
            EapcModule(EAPC(**TINY_E, speech=kind), vtlp=bad)
        assert "\n" not in str(err.value)


def test_eapc_fed_other_speech_features_than_it_reads_is_a_one_line_error():
    from emohead.errors import EmoheadError
    from emohead.motion.eapc.training import EapcModule

    batch = EapcModule(EAPC(**TINY_E)).random_batch(2)  # MFCC windows
    with pytest.raises(EmoheadError, match='same "speech"') as err:
        EapcModule(EAPC(**TINY_E, speech="whisper")).loss(batch)
    assert "\n" not in str(err.value)


@pytest.mark.slow
def test_eapc_training_feeds_the_label_to_the_emotion_input(cache):
    """The landmark loss must depend on a row's label: otherwise a label at inference changes nothing learnt."""
    from torch.utils.data import DataLoader

    from emohead.motion.eapc.training import EapcData, EapcModule

    torch.manual_seed(0)
    module = EapcModule(EAPC(**TINY_E))
    batch = next(iter(DataLoader(EapcData(cache), batch_size=16, shuffle=True)))
    assert (batch["emotion"] >= 0).any()
    relabelled = dict(batch, emotion=torch.where(batch["emotion"] >= 0, (batch["emotion"] + 1) % 8, batch["emotion"]))
    with torch.no_grad():
        assert module.loss(batch)[1]["mse"] != module.loss(relabelled)[1]["mse"]


@pytest.mark.slow
def test_discriminators_tell_a_fitted_generator_from_real_clips(cache):
    """The adversarial terms only shape the generator if D_R and D_F can learn at the paper's rate (1e-4)
    once the generator is close to the data (fed absolute canonical landmarks, they stayed at chance)."""
    from torch.utils.data import DataLoader

    from emohead.motion.mul2lm.training import Mul2LmData, Mul2LmModule

    torch.manual_seed(0)
    module = Mul2LmModule(Mul2Lm(**TINY_M))
    batch = next(iter(DataLoader(Mul2LmData(cache), batch_size=8, shuffle=True)))
    opt_g = torch.optim.Adam(module.net.parameters(), lr=3e-3)
    for _ in range(60):  # fit the generator to the batch first
        opt_g.zero_grad()
        sum(module.generator_loss(batch)[1:]).backward()
        opt_g.step()
    with torch.no_grad():
        q = module.generator_loss(batch)[0]
    opt_d = torch.optim.Adam(list(module.d_real.parameters()) + list(module.d_temporal.parameters()), lr=1e-4)
    before = float(module.d_loss(batch, q))
    for _ in range(150):
        opt_d.zero_grad()
        module.d_loss(batch, q).backward()
        opt_d.step()
    assert before > 2.6  # 4 ln 2 = 2.77: chance
    assert float(module.d_loss(batch, q)) < 0.5 * before
    assert float(module.d_accuracy(batch, q)) > 0.9


@pytest.mark.slow
def test_train_command_resumes_and_exports(cache, tmp_path):
    from emohead.cli import main

    cfg = tmp_path / "tiny.json"
    cfg.write_text(json.dumps({"model": TINY_E}))
    args = ["train", "eapc", "--data", str(cache), "--out", str(tmp_path / "run"), "--config", str(cfg), "--batch-size", "8", "-q"]
    assert main(args + ["--max-steps", "4"]) == 0
    assert (tmp_path / "run" / "checkpoints" / "last.ckpt").exists()
    assert main(args + ["--max-steps", "6"]) == 0  # resumes at step 4
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["steps"] == 6
    trained = json.loads((tmp_path / "run" / "weights" / "config.json").read_text())["trained"]
    assert trained["steps"] == 6 and trained["train_windows"] > 0


@pytest.mark.slow
def test_ddp_with_two_cpu_processes(cache, tmp_path):
    train_on_two_processes("mul2lm", cache, tmp_path / "ddp", {"model": TINY_M}, "--max-steps", "3")
    assert (tmp_path / "ddp" / "weights" / "model.safetensors").exists()
    assert json.loads((tmp_path / "ddp" / "summary.json").read_text())["steps"] >= 3  # a GAN counts G and D optimiser steps


@pytest.mark.slow
def test_generate_with_trained_weights_follows_emotion_labels(cache, tmp_path, demo_portrait, short_audio):
    import emohead
    from emohead.face import blendshapes as bs
    from emohead.train.run import train

    inputs = emohead.analyze(demo_portrait, short_audio)
    for model, cfg in (("eapc", TINY_E), ("mul2lm", TINY_M)):
        train(model, cache, tmp_path / model, {"model": cfg}, max_steps=5, batch_size=8, progress=False)
        trained = emohead.load_motion_model(model, weights=str(tmp_path / model / "weights"))
        happy, sad = (
            SimpleNamespace(motion=(m := trained.generate(inputs.with_emotion(e))), n_frames=len(m), lm68=m.lm68())
            for e in ("happy", "sad")
        )
        assert happy.n_frames == 75 and happy.lm68.shape == (75, 68, 3)
        assert not np.allclose(happy.motion.blendshapes, sad.motion.blendshapes), model
        assert (happy.motion.blendshapes >= 0).all() and (happy.motion.blendshapes <= 1).all()
        assert bs.COUNT == happy.motion.blendshapes.shape[1]


def test_lm2vid_unet_discriminator_and_refiner(tmp_path):
    from emohead.render.lm2vid import ImageDiscriminator, UNet9, perceptual_loss

    torch.manual_seed(0)
    net = UNet9(base=8).eval()
    x = torch.rand(2, 6, 64, 64) * 2 - 1
    y = net(x)
    assert y.shape == (2, 3, 64, 64) and y.abs().max() <= 1
    assert len(net.down) + 1 + len(net.up) + 1 == 9  # 4 down, middle, 4 up
    assert ImageDiscriminator(widths=(8, 8, 8, 8, 8))(torch.cat([y, x[:, :3]], 1)).shape == (2,)
    refiner = UNet9(base=8, refine=True).eval()
    refiner.load_state_dict(net.state_dict())
    assert not torch.allclose(refiner(x), y)  # the refiner adds its output to the warped frame (channels 3-5)
    net.save_pretrained(tmp_path / "w")
    assert torch.equal(UNet9.from_pretrained(tmp_path / "w")(x), y)
    assert perceptual_loss(y, y) == 0 and perceptual_loss(y, y.flip(-1)) > 0


def test_sketch_draws_each_region_in_its_colour(demo_face):
    from emohead.render.lm2vid import REGIONS, draw_sketch

    sketch = draw_sketch(demo_face.lm68, 256)
    for name in ("jaw", "eye_l", "lips_outer", "lips_inner"):
        colour = np.array(REGIONS[name][2])
        assert (np.abs(sketch.astype(int) - colour).sum(-1) < 30).sum() > 5, name


def test_vgg_weights_absent_means_stand_in_and_a_wrong_file_is_an_error(monkeypatch, tmp_path):
    from emohead.errors import EmoheadError
    from emohead.render.lm2vid import VGG_ENV, load_vgg19

    monkeypatch.delenv(VGG_ENV, raising=False)
    assert load_vgg19() is None
    with pytest.raises(EmoheadError, match="not found"):
        load_vgg19(tmp_path / "missing.pth")
    torch.save({"conv1.weight": torch.zeros(1)}, tmp_path / "resnet.pth")
    with pytest.raises(EmoheadError, match="not a VGG-19"):
        load_vgg19(tmp_path / "resnet.pth")
    monkeypatch.setenv(VGG_ENV, str(tmp_path / "missing.pth"))
    with pytest.raises(EmoheadError, match="not found"):
        load_vgg19()


def test_vgg_weights_in_torchvision_layout_drive_the_perceptual_loss(tmp_path):
    from emohead.render.lm2vid import VGG19Features, load_vgg19, perceptual_loss

    torch.manual_seed(0)
    reference = VGG19Features()
    state = {f"features.{k}": v for k, v in reference.features.state_dict().items()}
    state["classifier.0.weight"] = torch.zeros(2, 2)  # torchvision files also hold the classifier
    torch.save(state, tmp_path / "vgg19.pth")
    vgg = load_vgg19(tmp_path / "vgg19.pth")
    assert all(torch.equal(a, b) for a, b in zip(vgg.features.state_dict().values(), reference.features.state_dict().values()))
    x = torch.rand(1, 3, 32, 32) * 2 - 1
    assert [t.shape[1] for t in vgg(x)] == [64, 128, 256, 512, 512]  # relu1_1 .. relu5_1
    assert perceptual_loss(x, x, vgg) == 0
    assert perceptual_loss(x, x.flip(-1), vgg) != perceptual_loss(x, x.flip(-1))  # the features, not the stand-in


@pytest.mark.slow
def test_lm2vid_trains_on_real_frames_and_renders(cache, tmp_path, demo_portrait, short_audio):
    import emohead
    from emohead.render import load_renderer
    from emohead.train.run import train
    from emohead.video.io import probe

    cfg = {"model": {"base": 4, "refine": True}, "data": {"size": 64, "refine": True, "max_frames": 12}}
    summary = train("lm2vid", cache, tmp_path / "lv", cfg, max_steps=4, batch_size=4, progress=False)
    assert summary["train_windows"] >= 12 * 3 and summary["steps"] >= 4
    r = emohead.generate(
        demo_portrait, short_audio, output=tmp_path / "o.mp4", renderer="lm2vid", renderer_weights=str(tmp_path / "lv" / "weights")
    )
    assert probe(tmp_path / "o.mp4")["size"] == (256, 256)
    renderer = load_renderer("lm2vid", r.portrait, str(tmp_path / "lv" / "weights"))
    frame = renderer.render(r.motion.mesh(0, 1)[0])
    assert frame.shape == (256, 256, 3) and frame.dtype == np.uint8


@pytest.mark.slow
@pytest.mark.parametrize("model", ["eapc", "mul2lm"])
def test_a_landmark_model_leaves_blinking_to_the_seeded_blinks(model):
    """eapc learnt its training speakers' blinks; on this voice it shut biden's eyes (eyeBlink 0.97) around 1.2 s
    on top of the seeded blinks, and a later eapc shut one eye in the clip's last 3 frames, where the running median
    repeated the last frame. With those off, the lids may sit lower for an emotion but never shut."""
    import emohead
    from emohead.face import blendshapes as bs
    from tests.conftest import shared_data

    inputs = emohead.analyze(
        shared_data("portraits", "biden.jpg"), shared_data("speech", "LJ001-0002.wav"), transcript="in being comparatively modern."
    )
    for emotion in ("neutral", "sad"):
        w = emohead.load_motion_model(model, blinks=False).generate(inputs.with_emotion(emotion)).blendshapes
        assert w[:, bs.indices(("eyeBlinkLeft", "eyeBlinkRight"))].max() < 0.7, emotion


@pytest.mark.slow
@pytest.mark.parametrize("model", ["eapc", "mul2lm"])
def test_a_landmark_model_puts_a_requested_emotion_on_the_relaxed_face_not_the_photos_smile(model):
    """A broad smile in the photo (obama: mouthSmile 0.92). Given the photo's own landmarks as the speaker's face,
    eapc kept the smile under every label (mouthSmile 0.90 asked for neutral, 0.89 for sad): the network adds its
    emotion to the reference it is given. With no request the smile stays; asked for neutral or sad, it goes; asked
    for happy, it is at least as broad."""
    import emohead
    from emohead.face import blendshapes as bs
    from tests.conftest import shared_data

    inputs = emohead.analyze(
        shared_data("portraits", "obama.jpg"), shared_data("speech", "LJ001-0002.wav"), transcript="in being comparatively modern."
    )
    smile = bs.indices(("mouthSmileLeft", "mouthSmileRight"))
    own = float(inputs.portrait.blendshapes[smile].mean())
    motion_model = emohead.load_motion_model(model)
    kept = float(motion_model.generate(inputs).blendshapes[:, smile].mean())
    assert own > 0.8 and kept > 0.8
    for emotion in ("neutral", "sad"):
        assert motion_model.generate(inputs.with_emotion(emotion)).blendshapes[:, smile].mean() < 0.4, emotion
    assert motion_model.generate(inputs.with_emotion("happy")).blendshapes[:, smile].mean() > own


@pytest.mark.parametrize("model", ["eapc", "mul2lm"])
def test_a_landmark_model_animates_long_speech_window_by_window(model, demo_portrait, demo_audio):
    """Both networks trained on fixed windows (eapc 25 frames, mul2lm 50) and run on them, cross-faded, at any
    length: mul2lm's transformer attends over every frame it is given, so run whole it pooled a 10 s clip over
    five times the context it learnt (held-back lip sync r 0.530 whole, 0.558 windowed) and an hour would not
    fit in memory. So the motion of the opening seconds does not change when more speech follows."""
    import dataclasses

    import emohead
    from emohead.audio.features import AudioFeatures
    from emohead.nn.base import quiet_inference

    inputs = emohead.analyze(demo_portrait, demo_audio, transcript=DEMO_TRANSCRIPT)
    motion_model = emohead.load_motion_model(model)
    k = 150  # 6 s of the 11 s demo speech
    a = inputs.audio
    cut = AudioFeatures(duration=k / 25, mfcc=a.mfcc[:k], mfcc100=a.mfcc100[: 4 * k], energy_db=a.energy_db[:k], llf=a.llf[:k])
    with quiet_inference():  # the same transcript: its linguistic features place each word in the whole sentence
        whole, short = motion_model.predict(inputs), motion_model.predict(dataclasses.replace(inputs, audio=cut))
    keep = k - 2 * motion_model.window  # before the first window that reaches the cut (and its MFCC context)
    assert whole.shape[0] == inputs.n_frames and short.shape[0] == k and keep >= 50
    np.testing.assert_allclose(short[:keep], whole[:keep], atol=1e-5)


def test_the_heard_mouth_asked_for_where_it_cannot_be_heard_is_a_one_line_error(monkeypatch, demo_portrait, short_audio):
    """``--heard-mouth`` reads the recording with whisper: without the asr extra the model refuses it when loaded, and
    given inputs with no recording on disk it refuses to animate them, rather than quietly using its own mouth."""
    import dataclasses

    import emohead
    import emohead.motion.landmarks as landmarks
    from emohead.errors import EmoheadError

    inputs = emohead.analyze(demo_portrait, short_audio, transcript="And so my fellow Americans")
    model = emohead.load_motion_model("eapc", heard_mouth=True)
    assert not np.allclose(
        model.generate(inputs).blendshapes, emohead.load_motion_model("eapc", heard_mouth=False).generate(inputs).blendshapes
    )
    with pytest.raises(EmoheadError, match="reads the recording from a file"):
        model.generate(dataclasses.replace(inputs, audio_path=None))
    monkeypatch.setattr(landmarks, "whisper_available", lambda: False)
    with pytest.raises(EmoheadError, match=r"pip install 'emohead\[asr\]'"):
        emohead.load_motion_model("mul2lm", heard_mouth=True)
    assert not emohead.load_motion_model("mul2lm").heard_mouth  # off, as bundled: no whisper needed


def test_the_heard_share_in_mouth_json_is_used_and_checked(tmp_path, demo_portrait, short_audio):
    """``"heard_share"`` in a weights folder's ``mouth.json`` sets how much of the opening's shape the heard mouth
    takes (the bundled eapc: a quarter): a larger share moves the mouth further from the network's own; a share
    outside (0, 1] is a one-line error naming the file, not a silent default."""
    import json
    import shutil

    import emohead
    from emohead.errors import EmoheadError
    from emohead.motion.animate import MOUTH_FILE

    inputs = emohead.analyze(demo_portrait, short_audio, transcript="And so my fellow Americans")
    bundled = emohead.load_motion_model("eapc")
    assert bundled.heard_mouth and bundled.heard_share == 0.25
    mouth = json.loads((bundled.folder / MOUTH_FILE).read_text())
    folder = shutil.copytree(bundled.folder, tmp_path / "eapc")
    own = emohead.load_motion_model("eapc", heard_mouth=False).generate(inputs).blendshapes
    moved = {}
    for share in (0.25, 0.75):
        (folder / MOUTH_FILE).write_text(json.dumps({**mouth, "heard_share": share}))
        moved[share] = float(np.abs(emohead.load_motion_model("eapc", weights=folder).generate(inputs).blendshapes - own).mean())
    assert 0 < moved[0.25] < moved[0.75]
    (folder / MOUTH_FILE).write_text(json.dumps({**mouth, "heard_share": 1.5}))
    with pytest.raises(EmoheadError, match=r'mouth.json: "heard_share" must be a number above 0 and at most 1'):
        emohead.load_motion_model("eapc", weights=folder)
