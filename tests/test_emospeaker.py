"""EmoSpeaker: paper shapes, save/load, the ablation switches, the decoupler's contrastive loss on real clips,
the intensity matrix and the model's options."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("lightning")

from emohead.errors import EmoheadError  # noqa: E402
from emohead.motion.animate import absolute_pose, relative_pose  # noqa: E402
from emohead.motion.emospeaker.network import AU, EMO, EXP, EmoSpeaker  # noqa: E402
from emohead.motion.emospeaker.training import EmospeakerData, EmospeakerModule  # noqa: E402

TINY = {"hidden": 16, "au_hidden": 8, "emo_hidden": 16, "pose_hidden": 8}


def _batch(seed: int = 0, b: int = 3, t: int = 20) -> dict:
    torch.manual_seed(seed)
    return EmospeakerModule(EmoSpeaker(**TINY)).random_batch(b, t)


def test_paper_shapes_and_every_part_learns():
    torch.manual_seed(0)
    net = EmoSpeaker(**TINY)
    batch = _batch()
    out = net(batch["speech"], batch["ref_exp"], batch["ref_emo"], batch["seed_pose"], batch["emotion"], batch["level"], window=5)
    assert out["exp"].shape == (3, 20, len(EXP)) and out["emo"].shape == (3, 20, len(EMO)) and out["pose"].shape == (3, 20, 6)
    assert set(out["levels"]) == {"low", "mid", "high"} and all(v.shape == (3, 20, 16) for v in out["levels"].values())
    assert net.au_features(out["levels"])["low"].shape == (3, 20, len(AU))
    loss, parts = EmospeakerModule(net).loss(batch)
    assert set(parts) == {"exp", "emo", "pose", "contras", "cls"} and all(float(v) > 0 for v in parts.values())
    loss.backward()
    for name in ("low", "mid", "high", "au_decoder", "exp_net", "emo_net", "classifier", "pose_net"):
        grads = [p.grad for p in getattr(net, name).parameters()]
        assert all(g is not None for g in grads) and sum(float(g.abs().sum()) for g in grads) > 0, name


def test_emonet_windows_are_seeded_by_the_previous_window():
    torch.manual_seed(0)
    net = EmoSpeaker(**TINY)
    b = _batch()
    content, _ = net.encode(b["speech"])
    first = net.emotion_window(content[:, :5], b["ref_emo"], b["emotion"], b["level"])
    second = net.emotion_window(content[:, 5:10], first[:, -1], b["emotion"], b["level"])
    out = net(b["speech"], b["ref_exp"], b["ref_emo"], b["seed_pose"], b["emotion"], b["level"], window=5)["emo"]
    assert torch.allclose(out[:, :10], torch.cat([first, second], 1), atol=1e-6)
    other = net(b["speech"], b["ref_exp"], b["ref_emo"], b["seed_pose"], b["emotion"], b["level"], window=2)["emo"]
    assert not torch.allclose(out, other), "the window length must change the prediction (the intensity matrix's second axis)"


def test_save_load_gives_identical_outputs(tmp_path):
    torch.manual_seed(0)
    net = EmoSpeaker(**TINY, tau=0.2).eval()
    net.save_pretrained(tmp_path)
    back = EmoSpeaker.from_pretrained(tmp_path).eval()
    assert back.config == net.config
    b = _batch()
    args = (b["speech"], b["ref_exp"], b["ref_emo"], b["seed_pose"], b["emotion"], b["level"])
    for key in ("exp", "emo", "pose"):
        assert torch.equal(net(*args)[key], back(*args)[key])


@pytest.mark.parametrize(
    "switch, gone, part",
    [
        ({"decoupler": False}, "au_decoder", "contras"),
        ({"contrastive": False}, None, "contras"),
        ({"classification": False}, "classifier", "cls"),
    ],
)
def test_each_ablation_switch_changes_the_computation(switch, gone, part):
    batch = _batch()
    torch.manual_seed(0)
    full_loss, full = EmospeakerModule(EmoSpeaker(**TINY)).loss(batch)
    torch.manual_seed(0)
    net = EmoSpeaker(**TINY, **switch)
    loss, parts = EmospeakerModule(net).loss(batch)
    assert float(full[part]) > 0 and float(parts[part]) == 0
    assert not torch.isclose(loss, full_loss)
    if gone:
        assert not hasattr(net, gone)
    else:
        assert hasattr(net, "au_decoder"), "contrastive=False keeps the AU decoder, only the loss goes"


def test_pose_round_trip():
    rng = np.random.default_rng(0)
    first = np.array([0.1, -0.2, 0.05, 120.0, 130.0, 90.0])
    pose = first + rng.normal(0, [0.05, 0.05, 0.05, 3, 3, 2], (10, 6))
    assert np.allclose(absolute_pose(relative_pose(pose, first), first), pose, atol=1e-4)


@pytest.mark.slow
def test_infonce_prefers_matched_au_pairs_after_a_few_steps_on_real_clips(cache):
    from torch.utils.data import DataLoader

    torch.manual_seed(0)
    net = EmoSpeaker(**TINY)
    module = EmospeakerModule(net, lr=3e-3)
    real = EmospeakerData(cache, "train")
    batch = next(iter(DataLoader(real, batch_size=len(real))))
    batch = {k: v[batch["synthetic"] == 0] for k, v in batch.items()}  # the four real CREMA-D clips
    opt = module.configure_optimizers()
    for _ in range(60):
        opt.zero_grad()
        module.loss(batch)[0].backward()
        opt.step()

    def infonce(au):
        torch.manual_seed(1)
        with torch.no_grad():
            _, levels = net.encode(batch["speech"])
            return float(net.contrastive_loss(net.au_features(levels), au, batch["mask"], k=256))

    shuffled = batch["au"].reshape(-1, len(AU))[torch.randperm(batch["au"].shape[0] * batch["au"].shape[1])].reshape(batch["au"].shape)
    matched, unmatched = infonce(batch["au"]), infonce(shuffled)
    assert matched < unmatched - 0.2, (matched, unmatched)


def test_intensity_matrix_cells_and_options(tmp_path, monkeypatch):
    import json

    from emohead.motion.emospeaker.model import LEVELS, WINDOWS, EmoSpeakerMotionModel

    EmoSpeaker(**TINY).save_pretrained(tmp_path)
    strength = {"happy": [[0.1 * (li + 1) + 0.02 * wi for wi in range(5)] for li in range(3)]}
    (tmp_path / "intensity_table.json").write_text(json.dumps({"strength": strength}))
    model = EmoSpeakerMotionModel(weights=tmp_path)
    assert model.cell("happy", 0.1) == (1, 20) and model.cell("happy", 0.365) == (3, 5) and model.cell("happy", 1.0) == (3, 2)
    assert EmoSpeakerMotionModel(weights=tmp_path, window=5).cell("happy", 1.0) == (3, 5)
    assert EmoSpeakerMotionModel(weights=tmp_path, intensity_level=1).cell("happy", 1.0) == (1, 2)
    assert len(LEVELS) * len(WINDOWS) == 15
    with pytest.raises(EmoheadError, match="--emospeaker-window 7 is not in the intensity matrix"):
        EmoSpeakerMotionModel(weights=tmp_path, window=7)
    with pytest.raises(EmoheadError, match="--intensity-level 4"):
        EmoSpeakerMotionModel(weights=tmp_path, intensity_level=4)


def test_model_options_belong_to_their_model():
    from emohead.api import GenerateOptions

    with pytest.raises(EmoheadError, match="--emospeaker-window applies to --model emospeaker only, not eapc"):
        GenerateOptions(model="eapc", model_options={"window": 5}).check()
    GenerateOptions(model="emospeaker", model_options={"window": 5, "intensity_level": 2}).check()
    GenerateOptions(model="eapc", model_options={"window": None}).check()


@pytest.mark.slow
def test_the_content_code_carries_less_emotion_than_the_low_level_code(cache):
    """The decoupling the paper claims, measured with the bundled weights: a linear probe reads the emotion of
    real acted clips (CREMA-D; fitted on each clip's first half, scored on its second) from the low-level
    code better than from the content code."""
    from emohead.data.cache import Cache
    from emohead.emotion.vocabulary import EMOTIONS
    from emohead.motion import get_spec
    from emohead.motion.emospeaker.probe import decoupling
    from emohead.motion.speech import CACHE_KEYS

    spec = get_spec("emospeaker")
    net = spec.load(spec.network).from_pretrained(spec.weights_location).eval()
    c = Cache(cache)
    key = CACHE_KEYS[net.speech]
    rows = [r for r in c.index() if not r["synthetic"]]
    clips = [(c.load(r["clip_id"], [key])[key], EMOTIONS.index(r["emotion"])) for r in rows]  # as its window data gives them
    assert len({y for _, y in clips}) == 4
    accuracy = decoupling(net, clips)
    assert accuracy["low"] > accuracy["high"], accuracy


def test_a_network_reading_other_speech_features_than_the_data_is_a_one_line_error():
    """The config's model and data sections must name the same ``speech``: MFCC windows fed to a network that reads
    whisper's states stop training with the fix named, not with a shape error from deep inside the network."""
    from emohead.errors import EmoheadError
    from emohead.motion.emospeaker.network import EmoSpeaker
    from emohead.motion.emospeaker.training import EmospeakerModule

    batch = EmospeakerModule(EmoSpeaker(hidden=16, au_hidden=8, emo_hidden=16, pose_hidden=8)).random_batch(2, 12)
    module = EmospeakerModule(EmoSpeaker(hidden=16, au_hidden=8, emo_hidden=16, pose_hidden=8, speech="whisper"))
    with pytest.raises(EmoheadError, match='same "speech"') as err:
        module.loss(batch)
    assert "\n" not in str(err.value)
