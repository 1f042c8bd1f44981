"""Bad input: one line naming the problem, a non-zero exit, and no output file left behind."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from emohead.cli import main
from tests.conftest import ffmpeg


def run_cli(capsys, *args):
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.err.strip().splitlines()


def assert_fails(capsys, out_dir, fragment, *args):
    code, err = run_cli(capsys, *args)
    assert code == 1, err
    errors = [line for line in err if line.startswith("emohead: error:")]
    assert len(errors) == 1 and fragment in errors[0], err
    assert not any("Traceback" in line for line in err)
    assert list(out_dir.iterdir()) == [], "no partial output may remain"


@pytest.fixture
def out_dir(tmp_path):
    d = tmp_path / "out"
    d.mkdir()
    return d


@pytest.fixture(scope="module")
def media(tmp_path_factory, demo_portrait):
    d = tmp_path_factory.mktemp("bad")
    (d / "empty.wav").write_bytes(b"")
    (d / "corrupt.wav").write_bytes(b"RIFF" + np.random.default_rng(0).bytes(5000))
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-t", "2", str(d / "silent.wav"))
    Image.fromarray(np.tile(np.linspace(0, 255, 400, dtype=np.uint8), (300, 1))).convert("RGB").save(d / "noface.jpg")
    src = Image.open(demo_portrait)
    small = src.resize((src.width // 12, src.height // 12))
    canvas = Image.new("RGB", (640, 480), (120, 120, 120))
    canvas.paste(small, (250, 150))
    canvas.save(d / "tinyface.jpg")
    (d / "notes.jpg").write_text("this is not an image")
    return d


def test_missing_portrait(capsys, out_dir, short_audio):
    assert_fails(
        capsys,
        out_dir,
        "portrait not found",
        "generate",
        "--portrait",
        out_dir / "nope.jpg",
        "--audio",
        short_audio,
        "-o",
        out_dir / "o.mp4",
    )


def test_unreadable_portrait(capsys, out_dir, media, short_audio):
    assert_fails(
        capsys,
        out_dir,
        "not a readable image",
        "generate",
        "--portrait",
        media / "notes.jpg",
        "--audio",
        short_audio,
        "-o",
        out_dir / "o.mp4",
    )


def test_no_face(capsys, out_dir, media, short_audio):
    assert_fails(
        capsys, out_dir, "no face found", "generate", "--portrait", media / "noface.jpg", "--audio", short_audio, "-o", out_dir / "o.mp4"
    )


def test_face_too_small(capsys, out_dir, media, short_audio):
    assert_fails(
        capsys,
        out_dir,
        "below the 64 px minimum",
        "generate",
        "--portrait",
        media / "tinyface.jpg",
        "--audio",
        short_audio,
        "-o",
        out_dir / "o.mp4",
    )


def test_missing_audio(capsys, out_dir, demo_portrait):
    assert_fails(
        capsys,
        out_dir,
        "audio not found",
        "generate",
        "--portrait",
        demo_portrait,
        "--audio",
        out_dir / "none.wav",
        "-o",
        out_dir / "o.mp4",
    )


@pytest.mark.parametrize(
    "name, fragment", [("empty.wav", "audio file is empty"), ("corrupt.wav", "cannot decode audio"), ("silent.wav", "is silent")]
)
def test_bad_audio(capsys, out_dir, media, demo_portrait, name, fragment):
    assert_fails(capsys, out_dir, fragment, "generate", "--portrait", demo_portrait, "--audio", media / name, "-o", out_dir / "o.mp4")


def test_video_without_audio_track(capsys, out_dir, tmp_path, demo_portrait):
    silent_video = tmp_path / "mute.mp4"
    ffmpeg("-f", "lavfi", "-i", "color=c=gray:s=64x64:d=1", "-c:v", "libx264", str(silent_video))
    assert_fails(
        capsys, out_dir, "has no audio track", "generate", "--portrait", demo_portrait, "--audio", silent_video, "-o", out_dir / "o.mp4"
    )


def test_audio_over_the_length_limit(capsys, out_dir, demo_portrait, short_audio):
    assert_fails(
        capsys,
        out_dir,
        "over the 0.02 min limit",
        "generate",
        "--portrait",
        demo_portrait,
        "--audio",
        short_audio,
        "--max-minutes",
        "0.02",
        "-o",
        out_dir / "o.mp4",
    )


@pytest.mark.slow
def test_hour_long_audio_is_refused_by_default(capsys, out_dir, tmp_path, demo_portrait):
    hour = tmp_path / "hour.wav"
    ffmpeg("-f", "lavfi", "-i", "sine=f=220:r=8000", "-t", "3660", "-c:a", "pcm_u8", str(hour))
    assert_fails(
        capsys,
        out_dir,
        "61.0 min long, over the 30 min limit",
        "generate",
        "--portrait",
        demo_portrait,
        "--audio",
        hour,
        "-o",
        out_dir / "o.mp4",
    )


@pytest.mark.parametrize(
    "spec, fragment", [("ecstatic", "unknown emotion"), ("happy@2-1", "ends before it starts"), ("happy:loud", "bad emotion item")]
)
def test_bad_emotion(capsys, out_dir, demo_portrait, short_audio, spec, fragment):
    assert_fails(
        capsys,
        out_dir,
        fragment,
        "generate",
        "--portrait",
        demo_portrait,
        "--audio",
        short_audio,
        "--emotion",
        spec,
        "-o",
        out_dir / "o.mp4",
    )


def test_output_folder_missing(capsys, out_dir, demo_portrait, short_audio):
    assert_fails(
        capsys, out_dir, "does not exist", "generate", "--portrait", demo_portrait, "--audio", short_audio, "-o", out_dir / "no" / "o.mp4"
    )


def test_output_is_a_directory(capsys, out_dir, demo_portrait, short_audio):
    sub = out_dir / "taken"
    sub.mkdir()
    code, err = run_cli(capsys, "generate", "--portrait", demo_portrait, "--audio", short_audio, "-o", sub)
    assert code == 1 and "is a directory" in err[-1]
    assert list(sub.iterdir()) == []


def test_several_faces_picks_the_largest_and_says_so(capsys, tmp_path, demo_portrait, short_audio):
    src = Image.open(demo_portrait).convert("RGB")
    big, small = src.resize((485, 550)), src.resize((300, 340))
    group = Image.new("RGB", (800, 560), (90, 90, 90))
    group.paste(small, (0, 100))
    group.paste(big, (310, 0))
    group.save(tmp_path / "group.jpg")
    out = tmp_path / "o.npz"
    code, err = run_cli(capsys, "generate", "--portrait", tmp_path / "group.jpg", "--audio", short_audio, "--export-motion", out)
    assert code == 0 and any("2 faces; using the largest" in line for line in err), err
    assert out.exists()
    code, err = run_cli(
        capsys,
        "generate",
        "--portrait",
        tmp_path / "group.jpg",
        "--audio",
        short_audio,
        "--face-index",
        "5",
        "--export-motion",
        tmp_path / "x.npz",
    )
    assert code == 1 and "out of range" in err[-1] and not (tmp_path / "x.npz").exists()


def test_nothing_to_write(capsys, demo_portrait, short_audio):
    code, err = run_cli(capsys, "generate", "--portrait", demo_portrait, "--audio", short_audio)
    assert code == 1 and "nothing to write" in err[-1]


@pytest.mark.parametrize(
    "flag, value, fragment", [("--model", "sadtalker", "unknown motion model"), ("--renderer", "nerf", "unknown renderer")]
)
def test_unknown_model_or_renderer(capsys, out_dir, demo_portrait, short_audio, flag, value, fragment):
    assert_fails(
        capsys, out_dir, fragment, "generate", "--portrait", demo_portrait, "--audio", short_audio, flag, value, "-o", out_dir / "o.mp4"
    )


@pytest.mark.parametrize(
    "model, vgg, fragment",
    [("lm2vid", "missing.pth", "VGG-19 weights not found"), ("eapc", "missing.pth", "for lm2vid only")],
)
def test_train_vgg_weights_checked_before_any_work(capsys, out_dir, tmp_path, model, vgg, fragment):
    run = out_dir / "run"
    assert_fails(capsys, out_dir, fragment, "train", model, "--data", tmp_path, "--out", run, "--vgg-weights", tmp_path / vgg)


CONDITION_FLAGS = {
    "label": ["--emotion", "happy"],
    "timeline": ["--emotion", "happy@0-1,sad@1-"],
    "intensity_curve": ["--emotion", "happy", "--intensity-curve", "0:0,2:1"],
    "reference": ["--reference-portrait", "PORTRAIT"],
    "text": ["--emotion-text", "a faint, nervous smile"],
    "voice": ["--emotion", "voice"],
}


def _unsupported():
    from emohead.motion import specs

    return [(name, kind) for name, spec in specs().items() for kind in CONDITION_FLAGS if kind not in spec.conditions]


@pytest.mark.parametrize("model, kind", _unsupported())
def test_a_condition_the_model_cannot_honour_is_refused_before_any_work(capsys, out_dir, demo_portrait, short_audio, model, kind):
    import time

    from emohead.motion import specs

    flags = [demo_portrait if f == "PORTRAIT" else f for f in CONDITION_FLAGS[kind]]
    able = ", ".join(name for name, spec in specs().items() if kind in spec.conditions)
    t = time.perf_counter()
    assert_fails(
        capsys,
        out_dir,
        f"--model {model} cannot honour",
        "generate",
        "--model",
        model,
        "--portrait",
        demo_portrait,
        "--audio",
        short_audio,
        *flags,
        "-o",
        out_dir / "o.mp4",
    )
    assert time.perf_counter() - t < 3.0  # refused before the face, audio or text are analysed
    code, err = run_cli(
        capsys, "generate", "--model", model, "--portrait", demo_portrait, "--audio", short_audio, *flags, "-o", out_dir / "o.mp4"
    )
    assert (f"models that can: {able}" if able else "no installed model honours it yet") in err[-1]


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--weights", "runs/typo/weights"], "--model analytic has no learnt weights"),
        (["--model", "eapc", "--weights", "runs/typo/weights"], "does not exist"),
        (["--intensity-curve", "0:0,2:1"], "--intensity-curve needs one --emotion LABEL"),
        (["--emotion", "happy@0-1,sad@1-", "--intensity-curve", "0:0,2:1"], "scales one emotion"),
        (["--emotion", "happy", "--reference-portrait", "PORTRAIT"], "not several"),
        (["--seed", "-1"], "--seed -1 is out of range"),
        (["--head-motion", "nan"], "--head-motion nan is out of range"),
        (["--max-minutes", "nan"], "--max-minutes nan must be a positive number"),
        (["--intensity", "inf"], "intensity inf is out of range"),
        (["--heard-mouth"], "--heard-mouth applies to --model eapc / mul2lm only, not analytic"),
        (["--no-heard-mouth"], "--heard-mouth applies to --model eapc / mul2lm only, not analytic"),
    ],
)
def test_options_are_checked_before_any_work(capsys, out_dir, demo_portrait, short_audio, args, fragment):
    args = [demo_portrait if a == "PORTRAIT" else a for a in args]
    assert_fails(capsys, out_dir, fragment, "generate", "--portrait", demo_portrait, "--audio", short_audio, *args, "-o", out_dir / "o.mp4")


def test_usage_mistakes_exit_1_with_one_line(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["generate", "--portrait"])
    err = capsys.readouterr().err.strip().splitlines()
    assert exit_info.value.code == 1 and len(err) == 1 and err[0].startswith("emohead: error:")
