"""End to end: real portrait + real speech -> playable mp4 with audio and motion exports."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

import emohead
from emohead.cli import main
from emohead.face import blendshapes as bs
from emohead.video.io import count_frames, probe, read_frames
from tests.conftest import ffmpeg


def test_generate_writes_video_audio_and_exports(tmp_path, demo_portrait, short_audio):
    out, npz, csv_path, js = tmp_path / "o.mp4", tmp_path / "m.npz", tmp_path / "m.csv", tmp_path / "m.json"
    r = emohead.generate(demo_portrait, short_audio, emotion="happy:0.7", output=out, export_motion=npz, blendshapes_csv=csv_path)
    info = probe(out)
    assert info["has_audio"] and info["has_video"] and info["size"] == (256, 256)
    assert count_frames(out) == round(r.duration * 25) == r.n_frames == 75
    assert abs(info["duration"] - r.duration) < 0.05
    frames = list(read_frames(out))
    assert np.abs(frames[0].astype(int) - r.portrait.crop).mean() < 12  # the portrait, not noise

    data = np.load(npz)
    assert data["lm68"].shape == (75, 68, 3) and data["mesh"].shape == (75, 478, 3)
    assert data["blendshapes"].shape == (75, 52) and data["pose"].shape == (75, 6) and float(data["fps"]) == 25
    assert list(data["blendshape_names"]) == list(bs.NAMES)
    assert np.allclose(data["lm68"], r.lm68)

    rows = list(csv.reader(open(csv_path)))
    assert rows[0][:4] == ["Timecode", "BlendShapeCount", "EyeBlinkLeft", "EyeLookDownLeft"]
    assert rows[0][2:54] == [n[0].upper() + n[1:] for n in bs.LIVE_LINK_ORDER] and rows[0][54] == "HeadYaw"
    assert len(rows) == 76 and rows[1][1] == "52" and rows[26][0] == "00:00:01:00.000"
    smile = float(rows[40][2 + bs.LIVE_LINK_ORDER.index("mouthSmileLeft")])
    assert smile == pytest.approx(r.motion.blendshapes[39, bs.INDEX["mouthSmileLeft"]], abs=1e-4)

    emohead.generate(demo_portrait, short_audio, export_motion=js)
    doc = json.loads(js.read_text())
    assert doc["fps"] == 25 and len(doc["frames"]) == 75 and len(doc["frames"][0]["lm68"]) == 68
    assert not list(tmp_path.glob(".*partial*"))


def test_motion_exports_at_another_frame_rate_are_interpolated(tmp_path, demo_portrait, short_audio):
    """--motion-fps 60: 180 frames for 3 s, on the 25 fps curves where the times meet, between them elsewhere
    (never a repeated frame), in the npz and the Live Link CSV alike; the video keeps 25 fps."""
    npz, csv_path = tmp_path / "m60.npz", tmp_path / "m60.csv"
    r = emohead.generate(demo_portrait, short_audio, emotion="happy", export_motion=npz, blendshapes_csv=csv_path, motion_fps=60)
    data = np.load(npz)
    w25, w60 = r.motion.blendshapes, data["blendshapes"]
    assert float(data["fps"]) == 60 and w60.shape == (180, 52) and data["lm68"].shape == (180, 68, 3) and data["pose"].shape == (180, 6)
    assert np.allclose(w60[::12], w25[::5], atol=1e-5)  # t = 0, 0.2, 0.4 ... s exist at both rates
    jaw = bs.INDEX["jawOpen"]
    assert not np.any(np.all(np.diff(w60, axis=0) == 0, axis=1))  # no frame repeated
    mid = w60[6:-12:12, jaw]  # t = 0.1, 0.3, ... s: half-way between two 25 fps frames
    lo, hi = np.minimum(w25[2:-5:5, jaw], w25[3:-4:5, jaw]), np.maximum(w25[2:-5:5, jaw], w25[3:-4:5, jaw])
    assert np.mean((mid >= lo - 0.02) & (mid <= hi + 0.02)) > 0.9
    rows = list(csv.reader(open(csv_path)))
    assert len(rows) == 181 and rows[61][0] == "00:00:01:00.000"
    with pytest.raises(emohead.EmoheadError, match="--motion-fps 0.0 is out of range"):
        emohead.generate(demo_portrait, short_audio, export_motion=tmp_path / "x.npz", motion_fps=0.0)
    assert not (tmp_path / "x.npz").exists()


def test_full_frame_keeps_the_photo_and_animates_the_face(tmp_path, demo_portrait, demo_image, short_audio):
    out = tmp_path / "full.mp4"
    r = emohead.generate(demo_portrait, short_audio, output=out, full_frame=True)
    h, w = demo_image.shape[:2]
    assert probe(out)["size"] == (w // 2 * 2, h // 2 * 2)
    frames = list(read_frames(out))
    assert len(frames) == r.n_frames
    far = frames[30][-150:, :, :].astype(int)  # the suit, far below the face
    assert np.abs(far - demo_image[-150:, : w // 2 * 2]).mean() < 6
    x0, y0 = np.linalg.solve(r.portrait.crop_matrix[:, :2], -r.portrait.crop_matrix[:, 2])  # crop origin in the photo
    mouth = r.lm68[:, 48:68, :2].mean(1) / r.portrait.crop_matrix[0, 0] + (x0, y0)
    cx, cy = mouth.mean(0).astype(int)
    moving = np.std([f[cy - 15 : cy + 15, cx - 25 : cx + 25].astype(float).mean() for f in frames])
    assert moving > 1.0  # the mouth region changes over time


@pytest.mark.parametrize("ext, codec", [("flac", "flac"), ("mp3", "libmp3lame"), ("m4a", "aac"), ("ogg", "libvorbis"), ("mp4", "aac")])
def test_audio_formats_decode_to_the_same_length(tmp_path, short_audio, demo_portrait, ext, codec):
    path = tmp_path / f"speech.{ext}"
    extra = ["-f", "lavfi", "-i", "color=c=black:s=64x64:d=3", "-shortest", "-c:v", "libx264"] if ext == "mp4" else []
    ffmpeg("-i", str(short_audio), *extra, "-ar", "44100", "-ac", "2", "-c:a", codec, str(path))
    r = emohead.generate(demo_portrait, path, export_motion=tmp_path / "m.npz")
    assert abs(r.n_frames - 75) <= 1
    assert r.phones and any(p.label != "SIL" for p in r.phones)


def test_reference_portrait_sets_the_expression(tmp_path, demo_portrait, short_audio):
    ref = emohead.generate(demo_portrait, short_audio, reference_portrait=demo_portrait)
    plain = emohead.generate(demo_portrait, short_audio)
    assert any("reference portrait reads closest" in n for n in ref.notes)
    # the reference is the same calm face: its expression stays close to the portrait's own
    diff = np.abs(ref.motion.blendshapes - plain.motion.blendshapes)[:, bs.indices(("browDownLeft", "mouthSmileLeft"))]
    assert diff.mean() < 0.2


def test_cli_generate_and_demo(tmp_path, capsys, demo_portrait, short_audio):
    out = tmp_path / "cli.mp4"
    code = main(
        [
            "generate",
            "--portrait",
            str(demo_portrait),
            "--audio",
            str(short_audio),
            "--transcript",
            "And so my fellow Americans",
            "--emotion",
            "sad:0.6",
            "--size",
            "512",
            "-q",
            "-o",
            str(out),
        ]
    )
    assert code == 0 and probe(out)["size"] == (512, 512)
    ffmpeg("-i", str(out), "-t", "0.5", str(tmp_path / "check.wav"))  # the audio track decodes


@pytest.mark.slow
def test_demo_with_contact_sheet(tmp_path):
    from PIL import Image

    out, sheet = tmp_path / "demo.mp4", tmp_path / "sheet.png"
    assert main(["demo", "-o", str(out), "--contact-sheet", str(sheet), "-q"]) == 0
    assert count_frames(out) == 275 and probe(out)["has_audio"]
    img = np.asarray(Image.open(sheet))
    assert img.shape == (5 * 256, 6 * 256, 3)
    rows = img.reshape(5, 256, 6 * 256, 3).astype(float)
    assert np.abs(rows[1] - rows[0]).mean() > 1.0  # happy differs from neutral


@pytest.mark.parametrize("asr", ["phones", "whisper"])
def test_without_transcript_both_recognisers_drive_the_mouth(demo_portrait, demo_audio, asr):
    from emohead.face.ibug68 import mouth_opening

    if asr == "whisper":
        pytest.importorskip("faster_whisper")
    r = emohead.generate(demo_portrait, demo_audio, asr=asr)
    labels = {p.label for p in r.phones}
    assert {"AE", "M"} & labels and any(p.word for p in r.phones) == (asr == "whisper")  # only ASR gives words
    opening = mouth_opening(r.lm68)
    assert opening.max() > 0.12 and np.percentile(opening, 5) < 0.03  # opens wide, closes in pauses and on m/b/p
