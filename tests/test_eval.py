"""Each metric on inputs with a known answer, and the eval harness end to end."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("skimage", reason="the eval extra is not installed")
pytest.importorskip("cpbd", reason="the eval extra is not installed")

from emohead.eval.avsync import av_offset
from emohead.eval.frechet import frechet_between
from emohead.eval.image import cpbd, image_metrics, psnr, ssim
from emohead.eval.landmarks import landmark_metrics
from emohead.eval.rig import EMOTION_CHANNELS, LIP_CHANNELS, rig_metrics
from emohead.face import blendshapes as bs
from tests.conftest import SHARED, shared_data


def _track(n=40, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(0, 0.3, (n, 68, 3)).cumsum(0) * 0.05


def test_landmark_distances_are_zero_for_identical_and_exact_for_a_known_shift():
    lm = _track()
    assert all(v == 0 for v in landmark_metrics(lm, lm).values())
    moved = lm.copy()
    moved[:, 48:68, 0] += 0.03  # the mouth moves 3% of the eye distance sideways, every frame
    m = landmark_metrics(moved, lm)
    assert m["M-LD"] == pytest.approx(3.0) and m["F-LD"] == pytest.approx(3.0 * 20 / 68)
    assert m["M-LVD"] == pytest.approx(0.0, abs=1e-9)  # a constant offset has no velocity error
    jitter = lm.copy()
    jitter[1::2, 48:68, 1] += 0.02
    assert landmark_metrics(jitter, lm)["M-LVD"] == pytest.approx(2.0)


def test_image_metrics_identical_noisy_and_blurred(demo_face):
    import cv2

    frame = demo_face.crop
    assert psnr(frame, frame) == float("inf") and ssim(frame, frame) == pytest.approx(1.0)
    noisy = np.clip(frame + np.random.default_rng(0).normal(0, 10, frame.shape), 0, 255).astype(np.uint8)
    assert 25 < psnr(noisy, frame) < 30 and ssim(noisy, frame) < 0.9
    blurred = cv2.GaussianBlur(frame, (0, 0), 2.5)
    assert cpbd(blurred) < cpbd(frame) - 0.05
    m = image_metrics([frame, noisy], [frame, frame])
    assert m["PSNR"] == pytest.approx(psnr(noisy, frame)) and set(m) == {"PSNR", "SSIM", "CPBD"}


def test_audio_delayed_by_three_frames_gives_offset_three():
    rng = np.random.default_rng(1)
    speech = np.convolve(rng.random(300), np.ones(4) / 4, mode="same")
    mouth = np.roll(speech, 3)  # the video shows each syllable 3 frames after the audio
    mouth[:3] = speech[0]
    offset, corr = av_offset(mouth, 20 * np.log10(speech + 0.05))
    assert offset == 3 and corr > 0.9
    assert av_offset(np.zeros(100), speech[:100]) == (0, 0.0)  # a still mouth has no sync


def test_frechet_distance_of_shifted_gaussians():
    a = np.random.default_rng(0).standard_normal((5000, 4))
    assert frechet_between(a, a) == pytest.approx(0.0, abs=1e-9)
    assert frechet_between(a, a + [3, 0, 0, 4]) == pytest.approx(25.0, rel=1e-6)


def test_rig_metrics_known_values():
    real = np.zeros((10, 52))
    gen = np.zeros((10, 52))
    gen[:, bs.INDEX["jawOpen"]] = 0.5
    m = rig_metrics(gen, real)
    assert m["MLE"] == pytest.approx(0.5 / len(LIP_CHANNELS)) and m["MEE"] == 0 and m["EIE"] == 0 and m["FRD"] == 0
    gen[:, bs.INDEX["mouthSmileLeft"]] = 0.4
    gen[::2, bs.INDEX["browInnerUp"]] = 0.6  # alternating: std 0.3
    m = rig_metrics(gen, real)
    assert m["EIE"] == pytest.approx(0.4 + 0.3) and m["MEE"] == pytest.approx((0.4 + 0.3) / len(EMOTION_CHANNELS))
    assert m["FRD"] > 0


@pytest.fixture(scope="module")
def fer():
    from emohead.eval.emotion_classifier import load_fer

    path = SHARED / "models" / "fer2013_mini_xception.hdf5"
    if not path.exists():
        pytest.skip("FER2013 weights not available")
    return load_fer(path)


@pytest.mark.slow
def test_fer_reads_real_acted_frames_as_acted_at_every_framing_averaged(fer):
    """Happy, angry and sad real acted frames read as acted. Sad needs the framings averaged: the one square around
    the landmarks' box that the benchmark once used reads this sad clip as angry."""
    from emohead import dims
    from emohead.eval.emotion_classifier import FER_CLASSES, classify
    from emohead.face.analyze import track_video
    from emohead.face.ibug68 import face_boxes, to_ibug68
    from emohead.video.io import read_frames

    for code, label in (("HAP", "happy"), ("ANG", "angry"), ("SAD", "sad")):
        clip = shared_data("video", "cremad", f"1001_DFA_{code}_XX.flv")
        pts, _, found = track_video(clip, fps=dims.FPS)  # the frames as read, at the same rate
        frames = [f for f, ok in zip(read_frames(clip, fps=dims.FPS), found) if ok]
        boxes = face_boxes(to_ibug68(pts[found]))
        probs = classify(fer, frames, boxes)
        assert probs.shape == (len(frames), 7) and len(frames) > 40 and np.allclose(probs.sum(1), 1, atol=1e-5)
        assert FER_CLASSES[int(probs.mean(0).argmax())] == label
        if label == "sad":
            assert FER_CLASSES[int(classify(fer, frames, boxes, framings=((1.1, 0.0),)).mean(0).argmax())] != "sad"


def test_syncnet_loads_the_reference_state_dict_and_scores(tmp_path, demo_face, short_audio):
    torch = pytest.importorskip("torch")
    from emohead.audio.io import load_audio
    from emohead.eval.syncnet import _build, load_syncnet, lse

    torch.manual_seed(0)
    reference = {f"__S__.{k}": v for k, v in _build().state_dict().items()}  # the layout of syncnet_v2.model
    torch.save(reference, tmp_path / "syncnet_v2.model")
    model = load_syncnet(tmp_path / "syncnet_v2.model")
    frames = [demo_face.crop] * 45
    box = np.concatenate([demo_face.lm68[:, :2].min(0), demo_face.lm68[:, :2].max(0)])
    out = lse(model, frames, np.repeat(box[None], 45, 0), load_audio(short_audio)[: 45 * 640])
    assert set(out) == {"LSE-D", "LSE-C", "SyncNet offset"} and np.isfinite(list(out.values())).all()
    assert -15 <= out["SyncNet offset"] <= 15 and out["LSE-C"] >= 0


def test_weights_absent_means_not_available_and_a_mistyped_path_is_an_error(monkeypatch):
    from emohead.errors import EmoheadError
    from emohead.eval import emotion_classifier, fid, syncnet
    from emohead.eval.harness import EvalOptions, Scorers

    for mod in (emotion_classifier, fid, syncnet):
        monkeypatch.delenv(mod.ENV, raising=False)
    why = {}
    scorers = Scorers(EvalOptions(), why)
    assert scorers.fer is None and scorers.inception is None and scorers.syncnet is None
    assert {"Emo-Acc", "FID", "LSE-D", "LSE-C"} <= set(why)
    with pytest.raises(EmoheadError, match="--fer-weights /nonexistent.hdf5: no such file"):
        Scorers(EvalOptions(fer_weights="/nonexistent.hdf5"), {})
    monkeypatch.setenv(syncnet.ENV, "/typo/syncnet_v2.model")
    with pytest.raises(EmoheadError, match=r"\$EMOHEAD_SYNCNET /typo/syncnet_v2.model: no such file"):
        Scorers(EvalOptions(), {})


@pytest.mark.slow
def test_eval_writes_a_report_with_baseline_rows(tmp_path, capsys):
    from emohead.cli import main
    from emohead.data.cache import prepare

    src = tmp_path / "clips"
    src.mkdir()
    for name in ("1001_DFA_HAP_XX.flv", "1001_DFA_NEU_XX.flv"):
        (src / name).symlink_to(shared_data("video", "cremad", name))
    prepare(src, "cremad", tmp_path / "cache")
    fer = SHARED / "models" / "fer2013_mini_xception.hdf5"
    args = [
        "eval",
        "--data",
        str(tmp_path / "cache"),
        "--split",
        "all",
        "--out",
        str(tmp_path / "r" / "report"),
        "--per-clip",
        "--max-frames",
        "40",
        "-q",
    ] + (["--fer-weights", str(fer)] if fer.exists() else [])
    assert main(args) == 0
    doc = json.loads((tmp_path / "r" / "report.json").read_text())
    assert doc["clips"] == 2 and set(doc["systems"]) == {"analytic + warp", "real video", "static portrait", "audio-energy mouth"}
    real, still, model = doc["systems"]["real video"], doc["systems"]["static portrait"], doc["systems"]["analytic + warp"]
    assert real["M-LD"] == 0 and real["PSNR"] == "inf" and real["SSIM"] == pytest.approx(1.0)
    assert still["AV-corr*"] == 0 and model["AV-corr*"] > 0.3
    assert doc["unavailable"]["FID"].startswith("no Inception weights")
    md = (tmp_path / "r" / "report.md").read_text()
    assert "| static portrait |" in md and "## per clip" in md and "n/a" in md
