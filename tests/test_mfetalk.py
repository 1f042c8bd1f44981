"""MF-ETalk as motion diffusion: shapes, the noise schedule, the DDIM sampler, seeded determinism, save/load,
the a / b / c switches, and the motion emotion recogniser on real clips it never trained on."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("lightning")

from emohead.errors import EmoheadError  # noqa: E402
from emohead.motion.mfetalk.diffusion import Schedule  # noqa: E402
from emohead.motion.mfetalk.network import CHANNELS, NULL, WINDOW, MFETalk  # noqa: E402
from emohead.motion.mfetalk.training import MfetalkModule  # noqa: E402

TINY = {"dim": 32, "layers": 4, "heads": 2}


def _batch(seed=0, b=3):
    torch.manual_seed(seed)
    return MfetalkModule(MFETalk(**TINY)).random_batch(b)


def _call(net, batch, t):
    return net(
        net.normalise(batch["motion"]),
        t,
        batch["audio"],
        net.normalise(batch["context"]),
        batch["context_mask"],
        batch["label"],
        batch["intensity"],
        batch["au_target"],
        batch["au_neutral"],
    )


def test_shapes_for_both_architectures():
    batch = _batch()
    for mfdf in (False, True):
        net = MFETalk(**TINY, mfdf=mfdf)
        assert _call(net, batch, torch.tensor([0, 500, 999])).shape == (3, WINDOW, CHANNELS)
    assert CHANNELS == 58


def test_q_sample_has_the_schedules_mean_and_variance():
    s = Schedule()
    assert 0.99 < float(s.alpha_bar[0]) <= 1 and float(s.alpha_bar[-1]) < 1e-3
    assert bool((s.alpha_bar[1:] <= s.alpha_bar[:-1]).all())  # noise only grows
    torch.manual_seed(0)
    x0 = torch.full((20000, 4), 0.7)
    for t in (10, 400, 900):
        xt = s.q_sample(x0, torch.full((len(x0),), t), torch.randn_like(x0))
        ab = float(s.alpha_bar[t])
        assert abs(float(xt.mean()) - 0.7 * ab**0.5) < 0.01
        assert abs(float(xt.var()) - (1 - ab)) < 0.02


def test_ddim_one_step_against_many_on_a_toy_problem():
    """Data = N(mu, sigma^2) per channel, with its exact x0 posterior as the denoiser: many deterministic DDIM
    steps carry noise to samples with the data's mean and spread; one step lands on the posterior mean (no spread)."""
    s = Schedule()
    mu, sigma = torch.tensor([2.0, -1.0]), torch.tensor([0.5, 0.2])

    def predict_x0(x, t):
        ab = s.alpha_bar[t].view(-1, 1)
        gain = ab.sqrt() * sigma**2 / (ab * sigma**2 + 1 - ab)  # E[x0 | x_t] for a Gaussian x0
        return mu + gain * (x - ab.sqrt() * mu)

    torch.manual_seed(0)
    noise = torch.randn(20000, 2)
    many, one = s.ddim_sample(predict_x0, noise, 50), s.ddim_sample(predict_x0, noise, 1)
    assert torch.allclose(many.mean(0), mu, atol=0.02) and torch.allclose(many.std(0), sigma, rtol=0.1)
    assert torch.allclose(one.mean(0), mu, atol=0.02) and bool((one.std(0) < 0.1 * sigma).all())
    assert s.ddim_steps(10)[0] == 999 and s.ddim_steps(10)[-1] == 0 and len(s.ddim_steps(25)) == 25
    with pytest.raises(ValueError, match="DDIM steps"):
        s.ddim_steps(0)


def test_save_load_gives_identical_outputs(tmp_path):
    torch.manual_seed(0)
    net = MFETalk(**TINY).eval()
    net.mean.fill_(0.3)
    net.std.fill_(0.2)
    net.save_pretrained(tmp_path)
    back = MFETalk.from_pretrained(tmp_path)
    batch, t = _batch(1), torch.tensor([5, 50, 500])
    with torch.no_grad():
        assert torch.equal(_call(net, batch, t), _call(back, batch, t))
    assert float(back.std[0]) == pytest.approx(0.2)  # the standardisation travels with the weights


def test_dropout_acts_in_training_and_sampling_is_as_without_it(tmp_path):
    torch.manual_seed(0)
    net = MFETalk(**TINY, dropout=0.3)
    batch, t = _batch(2), torch.tensor([5, 50, 500])
    assert not torch.equal(_call(net.train(), batch, t), _call(net, batch, t))
    plain = MFETalk(**TINY)
    plain.load_state_dict(net.state_dict())  # dropout has no weights: the same network without it
    net.save_pretrained(tmp_path)
    loaded = MFETalk.from_pretrained(tmp_path)  # what inference runs: loaded in eval mode
    with torch.no_grad():
        assert torch.equal(_call(loaded, batch, t), _call(plain.eval(), batch, t))


def test_each_switch_changes_the_computation():
    torch.manual_seed(0)
    a, b = MFETalk(**TINY, mfdf=False), MFETalk(**TINY, mfdf=True)
    assert a.au is None and b.au is not None  # AU-guided decoupling only in b
    assert not any(layer.cross for layer in a.layers) and sum(layer.cross is not None for layer in b.layers) == 2  # mid-level fusion
    assert sum(layer.mod is not None for layer in b.layers) == 2  # late modulation
    batch, t = _batch(2), torch.tensor([100, 100, 100])
    au = dict(batch, au_target=batch["au_target"] + 0.3)
    with torch.no_grad():
        assert torch.equal(_call(a, batch, t), _call(a, au, t))  # a ignores AU features
        assert not torch.allclose(_call(b, batch, t), _call(b, au, t))  # b reads them
    plain = MfetalkModule(b)
    consistent = MfetalkModule(b, consistency=0.1)  # loads the bundled recogniser
    assert plain.recogniser is None and consistent.recogniser is not None
    torch.manual_seed(3)
    _, parts = consistent.loss(batch, t=torch.tensor([10, 10, 10]))
    assert float(parts["emotion"]) > 0
    _, parts = plain.loss(batch, t=torch.tensor([10, 10, 10]))
    assert float(parts["emotion"]) == 0


def test_the_null_emotion_is_the_unconditional_model():
    net = MFETalk(**TINY)
    label = torch.tensor([NULL, NULL])
    e = net.emotion(label, torch.tensor([0.0, 1.0]))
    assert torch.equal(e[0], e[1])  # intensity means nothing without an emotion


@pytest.fixture(scope="module")
def demo_inputs(demo_portrait, short_audio):
    import emohead

    return emohead.analyze(demo_portrait, short_audio, transcript="And so my fellow Americans")


def test_seeded_sampling_is_deterministic_and_seeds_differ(demo_inputs):
    import dataclasses

    import emohead

    model = emohead.load_motion_model("mfetalk", steps=3)
    happy = demo_inputs.with_emotion("happy")
    a, b = model.generate(happy), model.generate(happy)
    assert np.array_equal(a.blendshapes, b.blendshapes) and np.array_equal(a.pose, b.pose)
    c = model.generate(dataclasses.replace(happy, seed=1))
    assert np.abs(c.blendshapes - a.blendshapes).max() > 0.01


def test_averaging_samples_makes_two_seeds_agree(demo_inputs):
    """--samples 4 returns the mean of four draws: two seeds' mouths then differ less than two single draws do."""
    import dataclasses

    import emohead

    happy = demo_inputs.with_emotion("happy")
    spread = {}
    for k in (1, 4):
        model = emohead.load_motion_model("mfetalk", steps=3, samples=k)
        a, b = (model.generate(dataclasses.replace(happy, seed=seed)).blendshapes for seed in (0, 1))
        spread[k] = float(np.abs(a - b).mean())
    assert spread[4] < 0.8 * spread[1], spread


def test_steps_guidance_and_samples_are_checked():
    import emohead

    with pytest.raises(EmoheadError, match="--steps 0"):
        emohead.load_motion_model("mfetalk", steps=0)
    with pytest.raises(EmoheadError, match="--samples 0: give a whole number"):
        emohead.load_motion_model("mfetalk", samples=0)
    with pytest.raises(EmoheadError, match="--guidance -1"):
        emohead.load_motion_model("mfetalk", guidance=-1.0)
    from emohead.api import GenerateOptions

    with pytest.raises(EmoheadError, match="--steps applies to --model mfetalk only"):
        GenerateOptions(model="analytic", model_options={"steps": 10}).check()


@pytest.mark.slow
def test_the_recogniser_reads_real_acted_clips_it_never_trained_on(cache):
    """CREMA-D actor 1001 is held out of the recogniser's training (its config's hold_back_speakers)."""
    from emohead.data.cache import Cache
    from emohead.emotion.recogniser import SPEC, load_recogniser
    from emohead.emotion.vocabulary import EMOTIONS

    assert "1001" in SPEC.default_config["data"]["hold_back_speakers"]
    net, c = load_recogniser(), Cache(cache)
    rows = [r for r in c.index() if not r["synthetic"]]
    right, p_truth = [], []
    for r in rows:
        w = torch.from_numpy(c.load(r["clip_id"], ["blendshapes"])["blendshapes"][None])
        with torch.no_grad():
            p = net(w).softmax(-1)[0]
        k = EMOTIONS.index(r["emotion"])
        right.append(int(p.argmax()) == k)
        p_truth.append(float(p[k]))
    assert len(rows) == 4 and sum(right) >= 2, right  # chance: 1 in 4 of these clips
    assert np.mean(p_truth) > 2 / len(EMOTIONS), p_truth
