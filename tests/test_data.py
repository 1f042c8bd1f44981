"""The data engine on real clips laid out as each public dataset publishes them."""

from __future__ import annotations

import csv
import shutil

import numpy as np
import pytest

from emohead.cli import main
from emohead.data.adapters import scan
from emohead.data.cache import Cache, assign_splits, prepare
from emohead.data.datasets import PHONES, SequenceDataset, WindowDataset, collate_sequences
from emohead.errors import EmoheadError
from emohead.face import blendshapes as bs
from emohead.face.ibug68 import mouth_opening
from tests.conftest import ffmpeg, shared_data

pytestmark = pytest.mark.slow


def _mp4(src, dst, *extra):
    dst.parent.mkdir(parents=True, exist_ok=True)
    ffmpeg("-i", str(src), *extra, "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", str(dst))


def _audio(src, dst):
    dst.parent.mkdir(parents=True, exist_ok=True)
    ffmpeg("-i", str(src), "-vn", str(dst))


@pytest.fixture(scope="module")
def trees(tmp_path_factory):
    video = shared_data("video")
    cremad, grid, other = video / "cremad", video / "grid", video / "other"
    root = tmp_path_factory.mktemp("datasets")
    # MEAD: video and audio in parallel trees; a non-frontal view is skipped
    m = root / "mead"
    _mp4(cremad / "1001_DFA_ANG_XX.flv", m / "M003/video/front/angry/level_2/001.mp4", "-an")
    _audio(cremad / "1001_DFA_ANG_XX.flv", m / "M003/audio/angry/level_2/001.m4a")
    _mp4(cremad / "1001_DFA_NEU_XX.flv", m / "W009/video/front/neutral/level_1/003.mp4", "-an")
    _audio(cremad / "1001_DFA_NEU_XX.flv", m / "W009/audio/neutral/level_1/003.m4a")
    _mp4(cremad / "1001_DFA_SAD_XX.flv", m / "M003/video/left_30/sad/level_1/001.mp4", "-an")
    # CREMA-D: VideoFlash + AudioWAV
    c = root / "cremad"
    for name in ("1001_DFA_HAP_XX", "1001_DFA_SAD_XX"):
        (c / "VideoFlash").mkdir(parents=True, exist_ok=True)
        shutil.copy(cremad / f"{name}.flv", c / "VideoFlash" / f"{name.replace('_XX', '_HI') if 'SAD' in name else name}.flv")
        _audio(cremad / f"{name}.flv", c / "AudioWAV" / f"{name.replace('_XX', '_HI') if 'SAD' in name else name}.wav")
    shutil.copy(cremad / "1001_DFA_ANG_XX.flv", c / "VideoFlash" / "1001_XYZ_ANG_XX.flv")  # unknown sentence code
    # RAVDESS: audio-visual speech kept, video-only skipped
    r = root / "ravdess"
    _mp4(grid / "bbaf2n.mpg", r / "Actor_07/01-01-05-02-01-01-07.mp4")
    _mp4(grid / "bbaf2n.mpg", r / "Actor_07/02-01-05-02-01-01-07.mp4", "-an")
    # GRID: speaker folders + align files
    g = root / "grid"
    (g / "s2").mkdir(parents=True)
    (g / "align").mkdir()
    shutil.copy(grid / "id2_vcd_swwp2s.mpg", g / "s2" / "swwp2s.mpg")
    shutil.copy(grid / "swwp2s.align", g / "align" / "swwp2s.align")
    (g / "s5").mkdir()
    shutil.copy(grid / "lrwp9a.mpg", g / "s5" / "lrwp9a.mpg")
    # HDTF: plain folder of talking-head mp4s (with audio)
    h = root / "hdtf"
    h.mkdir()
    ffmpeg(
        "-i",
        str(other / "hdtf_klobuchar_silent.mp4"),
        "-i",
        str(other / "hdtf_klobuchar.wav"),
        "-t",
        "4",
        "-c:v",
        "copy",
        "-c:a",
        "aac",
        str(h / "WRA_AmyKlobuchar_000.mp4"),
    )
    # VoxCeleb2: id/video/clip
    _mp4(grid / "pwij3p.mpg", root / "voxceleb2" / "id00017" / "5MkXgwdrmJw" / "00001.mp4")
    # plain folder with sidecar transcript and labels
    f = root / "folder"
    _mp4(cremad / "1001_DFA_FEA_XX.flv", f / "take1.mp4")
    (f / "take1.txt").write_text("Don't forget a jacket")
    with open(f / "labels.csv", "w", newline="") as fh:
        csv.writer(fh).writerows([["file", "emotion", "intensity", "speaker"], ["take1.mp4", "fearful", "2", "actor-a"]])
    return root


def _prepared(trees, tmp_path, fmt, **kw):
    report = prepare(trees / fmt, fmt, tmp_path / f"cache_{fmt}", **kw)
    return report, Cache(tmp_path / f"cache_{fmt}").index()


def _check_frames_match_audio(cache_dir, rows):
    from emohead.audio.io import load_audio

    cache = Cache(cache_dir)
    for row in rows:
        meta = next(m for m in cache.metas() if m["clip_id"] == row["clip_id"])
        seconds = len(load_audio(meta["audio"])) / 16000
        assert abs(row["n_frames"] - round(seconds * 25)) <= 1 or meta["frames_lost"] > 0, row
        arrays = cache.load(row["clip_id"])
        for key in ("lm68", "lm68_image", "mesh", "blendshapes", "pose", "mfcc", "mfcc_window", "llf", "energy_db"):
            assert len(arrays[key]) == row["n_frames"], key
        assert arrays["mfcc"].shape[1] == 40 and arrays["mfcc_window"].shape[1:] == (28, 12) and arrays["llf"].shape[1] == 25


def test_mead(trees, tmp_path):
    report, rows = _prepared(trees, tmp_path, "mead")
    assert len(report.skipped_files) == 1 and "left_30" in report.skipped_files[0][0]
    by = {r["speaker"]: r for r in rows}
    assert by["M003"]["emotion"] == "angry" and by["M003"]["intensity"] == 2
    assert by["W009"]["emotion"] == "neutral" and by["W009"]["intensity"] == 1
    assert {r["split"] for r in rows} == {"train", "test"}  # two speakers: one each, never shared
    _check_frames_match_audio(tmp_path / "cache_mead", rows)


def test_mead_standard_split(trees, tmp_path):
    assert main(["prepare", str(trees / "mead"), "--format", "mead", "-o", str(tmp_path / "c"), "--split", "mead", "-q"]) == 0
    rows = Cache(tmp_path / "c").index()
    assert {r["speaker"]: r["split"] for r in rows} == {"M003": "test", "W009": "test"}


def test_cremad(trees, tmp_path):
    report, rows = _prepared(trees, tmp_path, "cremad")
    assert "1001_XYZ_ANG_XX" in report.skipped_files[0][0]
    by = {r["emotion"]: r for r in rows}
    assert by["happy"]["intensity"] == 0 and by["sad"]["intensity"] == 3  # XX unspecified, HI = 3
    assert all(r["speaker"] == "1001" and r["sentence"] == "DFA" and r["transcript"] == "Don't forget a jacket" for r in rows)
    arrays = Cache(tmp_path / "cache_cremad").load(by["happy"]["clip_id"])
    assert list(arrays["word_labels"]) == ["don't", "forget", "a", "jacket"]
    assert set(arrays["phone_labels"]) >= {"D", "OW", "F", "JH", "AE", "K"}
    _check_frames_match_audio(tmp_path / "cache_cremad", rows)


def test_ravdess(trees, tmp_path):
    report, rows = _prepared(trees, tmp_path, "ravdess")
    assert len(rows) == 1 and "modality" in report.skipped_files[0][1]
    (row,) = rows
    assert (row["emotion"], row["intensity"], row["speaker"], row["sentence"]) == ("angry", 2, "Actor_07", "01")
    # the stand-in clip speaks a GRID sentence, so RAVDESS's statement cannot align: ASR takes over, and says so
    meta = Cache(tmp_path / "cache_ravdess").metas()[0]
    assert meta["transcript_source"] == "asr" and row["transcript"] != "Kids are talking by the door"


def test_grid_uses_its_align_files(trees, tmp_path):
    _, rows = _prepared(trees, tmp_path, "grid")
    by = {r["speaker"]: r for r in rows}
    assert by["s2"]["transcript"] == "set white with p two soon" and by["s5"]["transcript"] == "lay red with p nine again"
    words = Cache(tmp_path / "cache_grid").load(by["s2"]["clip_id"])
    assert list(words["word_labels"]) == ["set", "white", "with", "p", "two", "soon"]
    assert np.allclose(words["word_times"][0], [0.49, 0.77])  # 12250..19250 / 25000 s
    _check_frames_match_audio(tmp_path / "cache_grid", rows)


@pytest.mark.parametrize("fmt, speaker", [("hdtf", "WRA_AmyKlobuchar_000"), ("voxceleb2", "id00017")])
def test_unlabelled_datasets_get_asr_transcripts(trees, tmp_path, fmt, speaker):
    _, rows = _prepared(trees, tmp_path, fmt)
    (row,) = rows
    assert row["speaker"] == speaker and row["emotion"] is None
    meta = Cache(tmp_path / f"cache_{fmt}").metas()[0]
    assert meta["transcript_source"] == "asr" and len(meta["transcript"].split()) >= 3


def test_folder_with_labels_and_transcript(trees, tmp_path):
    _, rows = _prepared(trees, tmp_path, "folder")
    (row,) = rows
    assert (row["emotion"], row["intensity"], row["speaker"]) == ("fear", 2, "actor-a")
    assert Cache(tmp_path / "cache_folder").metas()[0]["transcript_source"] == "dataset"


def test_a_declared_av_offset_pairs_each_frame_with_its_own_sound(trees, tmp_path):
    """A clip whose picture runs 3 frames ahead of its sound (labels.csv av_offset -3) is paired frame by frame with
    the sound 3 frames later: the same picture, the sound moved; a value that is not whole frames is named."""
    root = tmp_path / "offsets"
    root.mkdir()
    for name in ("in_step", "ahead", "bad"):
        shutil.copy(trees / "folder" / "take1.mp4", root / f"{name}.mp4")
        shutil.copy(trees / "folder" / "take1.txt", root / f"{name}.txt")
    with open(root / "labels.csv", "w", newline="") as fh:
        csv.writer(fh).writerows([["file", "av_offset"], ["in_step.mp4", ""], ["ahead.mp4", "-3"], ["bad.mp4", "0.12 s"]])
    report = prepare(root, "folder", tmp_path / "c")
    assert [(f.split("/")[-1], "av_offset" in why) for f, why in report.skipped_files] == [("bad.mp4", True)]
    cache = Cache(tmp_path / "c")
    meta = {m["clip_id"]: m for m in cache.metas()}
    assert (meta["folder_in_step"]["av_offset"], meta["folder_ahead"]["av_offset"]) == (0, -3)
    a, b = cache.load("folder_in_step"), cache.load("folder_ahead")
    n = len(b["energy_db"])
    assert n == len(a["energy_db"]) - 3
    assert np.allclose(b["lm68"], a["lm68"][:n])  # the same picture
    assert np.allclose(b["energy_db"][:-2], a["energy_db"][3 : n + 1], atol=0.5)  # its sound from 3 frames later
    assert not np.allclose(b["energy_db"][:-2], a["energy_db"][: n - 2], atol=0.5)


def test_second_run_redoes_nothing_and_workers_agree(trees, tmp_path):
    first = prepare(trees / "cremad", "cremad", tmp_path / "c", workers=2)
    stamps = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "c" / "clips").iterdir()}
    again = prepare(trees / "cremad", "cremad", tmp_path / "c", workers=2)
    assert first.prepared == 2 and again.prepared == 0 and again.done_before == 2
    assert stamps == {p.name: p.stat().st_mtime_ns for p in (tmp_path / "c" / "clips").iterdir()}
    single = prepare(trees / "cremad", "cremad", tmp_path / "c1", workers=1)
    a, b = Cache(tmp_path / "c"), Cache(tmp_path / "c1")
    clip = a.index()[0]["clip_id"]
    assert single.prepared == 2 and np.allclose(a.load(clip)["lm68"], b.load(clip)["lm68"])


def test_bad_clips_are_reported_not_fatal(trees, tmp_path, capsys):
    bad = tmp_path / "bad"
    shutil.copytree(trees / "folder", bad)
    (bad / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + np.random.default_rng(1).bytes(4000))
    _mp4(trees / "folder" / "take1.mp4", bad / "mute.mp4", "-an")
    whole = (trees / "folder" / "take1.mp4").read_bytes()
    (bad / "truncated.mp4").write_bytes(whole[: len(whole) // 3])
    ffmpeg(
        "-i",
        str(trees / "folder" / "take1.mp4"),
        "-f",
        "lavfi",
        "-i",
        "sine=f=300:d=0.6",
        "-map",
        "0:v",
        "-map",
        "1:a",
        "-c:v",
        "copy",
        "-c:a",
        "aac",
        str(bad / "short_audio.mp4"),
    )
    code = main(["prepare", str(bad), "--format", "folder", "-o", str(tmp_path / "c"), "-q"])
    out = capsys.readouterr().out
    assert code == 0  # take1 is usable
    assert "cannot decode video" in out and "no audio track" in out and "length mismatch" in out
    assert "failed folder_truncated" in out
    assert [r["clip_id"] for r in Cache(tmp_path / "c").index()] == ["folder_take1"]


def test_nothing_usable_exits_non_zero(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["prepare", str(empty), "--format", "folder", "-o", str(tmp_path / "c"), "-q"]) == 1
    assert "no folder clips found" in capsys.readouterr().err
    with pytest.raises(EmoheadError, match="did not fit"):
        (tmp_path / "flat").mkdir()
        shutil.copy(shared_data("video", "grid", "bbaf2n.mpg"), tmp_path / "flat" / "bbaf2n.mpg")
        scan(tmp_path / "flat", "mead")


def test_face_lost_in_the_middle_splits_the_clip(tmp_path):
    src = shared_data("video", "other", "obama_weekly_address.mp4")
    covered = tmp_path / "v" / "covered.mp4"
    covered.parent.mkdir()
    ffmpeg(
        "-i",
        str(src),
        "-t",
        "4",
        "-vf",
        "drawbox=x=0:y=0:w=iw:h=ih:color=black:t=fill:enable='between(n,40,59)'",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-c:a",
        "aac",
        str(covered),
    )
    report = prepare(tmp_path / "v", "folder", tmp_path / "c")
    rows = Cache(tmp_path / "c").index()
    assert [r["clip_id"] for r in rows] == ["folder_covered_seg1", "folder_covered_seg2"]
    assert rows[0]["n_frames"] == 40 and rows[1]["n_frames"] == 40 and report.failed == {}
    assert report.split == {"folder_covered": (2, 20)} and "face lost in folder_covered" in report.summary()


def test_splits_are_speaker_disjoint_and_stable():
    speakers = [f"spk{i}" for i in range(20)]
    a, b = assign_splits(speakers), assign_splits(list(reversed(speakers)))
    assert a == b and set(a.values()) == {"train", "val", "test"}
    assert sum(v == "test" for v in a.values()) == 3


def test_window_and_sequence_loaders(trees, tmp_path):
    prepare(trees / "cremad", "cremad", tmp_path / "c")
    cache = Cache(tmp_path / "c")
    windows = WindowDataset(cache, window=25, split=None)
    item = windows[0]
    assert item["mfcc_window"].shape == (25, 28, 12) and item["lm68"].shape == (25, 68, 3) and item["mask"].all()
    assert item["emotion"] in (3, 1) and item["phone_ids"].max() < len(PHONES)
    n = [r["n_frames"] for r in windows.rows]
    assert len(windows) == sum(int(np.ceil(k / 25)) for k in n)
    seqs = SequenceDataset(cache, split=None)
    batch = collate_sequences([seqs[0], seqs[1]])
    assert batch["blendshapes"].shape == (2, max(n), 52)
    assert batch["mask"].sum() == sum(n) and batch["emotion"].shape == (2,)


def test_synthetic_rows_change_emotion_not_lip_sync(trees, tmp_path):
    from emohead.data.corpus import augment

    prepare(trees / "cremad", "cremad", tmp_path / "c")
    cache = Cache(tmp_path / "c")
    written = augment(cache, emotions=("neutral", "happy", "sad"))
    rows = cache.write_index()
    assert written == 2 * (1 + 3 + 3) and sum(r["synthetic"] for r in rows) == written
    src = next(r for r in rows if not r["synthetic"])
    happy = cache.load(f"{src['clip_id']}_syn_happy_3")
    neutral = cache.load(f"{src['clip_id']}_syn_neutral_1")
    smile = bs.indices(("mouthSmileLeft", "mouthSmileRight"))
    assert happy["blendshapes"][:, smile].mean() > neutral["blendshapes"][:, smile].mean() + 0.4
    gap_h, gap_n = mouth_opening(happy["lm68"]), mouth_opening(neutral["lm68"])
    assert np.corrcoef(gap_h, gap_n)[0, 1] > 0.97 and np.abs(gap_h - gap_n).mean() < 0.02
    syn = next(r for r in rows if r["clip_id"] == f"{src['clip_id']}_syn_happy_3")
    assert (syn["emotion"], syn["intensity"], syn["speaker"], syn["split"]) == ("happy", 3, src["speaker"], src["split"])
    assert np.array_equal(happy["mfcc"], cache.load(src["clip_id"])["mfcc"])


def test_whisper_features_are_stored_at_25_fps(trees, tmp_path):
    pytest.importorskip("faster_whisper")
    prepare(trees / "cremad", "cremad", tmp_path / "c", whisper_features=True)
    cache = Cache(tmp_path / "c")
    row = cache.index()[0]
    states = cache.load(row["clip_id"])["whisper"]
    assert states.shape == (row["n_frames"], 384) and np.isfinite(states).all() and states.std() > 0.1


def test_interrupted_run_resumes_where_it_stopped(trees, tmp_path, monkeypatch):
    import emohead.data.cache as cache_mod

    real_work, calls = cache_mod._work, []

    def interrupt_second(src, *args):
        calls.append(src.clip_id)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_work(src, *args)

    monkeypatch.setattr(cache_mod, "_work", interrupt_second)
    with pytest.raises(KeyboardInterrupt):
        prepare(trees / "cremad", "cremad", tmp_path / "c")
    monkeypatch.setattr(cache_mod, "_work", real_work)
    assert len(list((tmp_path / "c" / "clips").glob("*.npz"))) == 1 and not list((tmp_path / "c").rglob(".*partial*"))
    again = prepare(trees / "cremad", "cremad", tmp_path / "c")
    assert (again.done_before, again.prepared, again.clips) == (1, 1, 2)


def test_a_synthetic_rows_reference_is_its_real_source_recording(trees, tmp_path):
    """A model given a synthetic row's own first frame as the identity copies its emotion from it and learns to
    ignore the label (eapc and mul2lm did: a label changed their landmarks by 0.0013 eye-distances). The reference
    is the real recording the row was made from, as a portrait is at inference; real rows keep their own."""
    from emohead.data.corpus import augment

    prepare(trees / "cremad", "cremad", tmp_path / "c")
    cache = Cache(tmp_path / "c")
    augment(cache, emotions=("happy",))
    cache.write_index()
    windows = WindowDataset(cache, window=25, split=None, reference_fields=("lm68", "blendshapes"))
    first_window = {windows.rows[r]["clip_id"]: i for i, (r, _) in reversed(list(enumerate(windows.items)))}
    src = next(r for r in windows.rows if not r["synthetic"] and r["emotion"] != "happy")
    real, syn = windows[first_window[src["clip_id"]]], windows[first_window[f"{src['clip_id']}_syn_happy_3"]]
    first = cache.load(src["clip_id"])
    assert np.array_equal(real["ref_lm68"], first["lm68"][0]) and np.array_equal(syn["ref_lm68"], first["lm68"][0])
    smile = bs.indices(("mouthSmileLeft", "mouthSmileRight"))
    assert syn["ref_blendshapes"][smile].mean() < cache.load(f"{src['clip_id']}_syn_happy_3")["blendshapes"][0, smile].mean() - 0.3
