"""`emohead batch`: 20 rows, 3 of them bad; killed halfway and restarted."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from emohead.batch import Row, read_rows


def _emohead(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "emohead", *args], capture_output=True, text=True, timeout=600, **kw)


def _report(outdir: Path) -> list[dict]:
    with open(outdir / "report.csv", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture
def jobs(tmp_path, demo_portrait, short_audio) -> Path:
    """20 rows: 17 good ones (varied options, relative paths) and 3 bad ones."""
    media = tmp_path / "media"
    media.mkdir()
    (media / "face.jpg").write_bytes(demo_portrait.read_bytes())
    (media / "speech.wav").write_bytes(short_audio.read_bytes())
    sky = np.zeros((256, 256, 3), np.uint8)
    sky[..., 2] = np.linspace(120, 250, 256, dtype=np.uint8)[:, None]
    Image.fromarray(sky).save(media / "sky.png")
    emotions = ["neutral", "happy", "sad", "angry", "fear", "surprise", "disgust"]
    rows = [
        {"id": f"clip{i:02d}", "portrait": "media/face.jpg", "audio": "media/speech.wav", "emotion": emotions[i % 7], "head_motion": "0.5"}
        for i in range(17)
    ]
    rows.insert(3, {"id": "missing", "portrait": "media/nobody.jpg", "audio": "media/speech.wav", "emotion": "", "head_motion": ""})
    rows.insert(9, {"id": "noface", "portrait": "media/sky.png", "audio": "media/speech.wav", "emotion": "happy", "head_motion": ""})
    rows.insert(
        15, {"id": "bademotion", "portrait": "media/face.jpg", "audio": "media/speech.wav", "emotion": "ecstatic", "head_motion": ""}
    )
    path = tmp_path / "jobs.csv"
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, rows[0].keys())
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.mark.slow
def test_batch_reports_bad_rows_and_resumes_after_a_kill(jobs, tmp_path):
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "emohead", "batch", str(jobs), "-o", str(out), "--workers", "2"]
    first = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 300
    while time.time() < deadline and len(list(out.glob("clip*.mp4"))) < 6:
        time.sleep(0.2)
    os.killpg(first.pid, signal.SIGKILL)  # the whole batch, workers included, mid-run
    first.wait()
    done_before = {p.name: p.stat().st_mtime_ns for p in out.glob("clip*.mp4")}
    assert 6 <= len(done_before) < 17, "the kill did not land halfway"

    second = _emohead("batch", str(jobs), "-o", str(out), "--workers", "2")
    assert second.returncode == 1, second.stderr
    assert "17 done" not in second.stderr and f"{len(done_before)} finished before" in second.stderr
    videos = sorted(p.name for p in out.glob("*.mp4"))
    assert videos == [f"clip{i:02d}.mp4" for i in range(17)]
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("clip*.mp4") if p.name in done_before} == done_before, (
        "finished rows were redone"
    )
    assert not list(out.glob(".*partial*")), "the killed run's temporary files are still there"

    report = _report(out)
    assert sorted(r["id"] for r in report if r["status"] == "ok") == [f"clip{i:02d}" for i in range(17)]
    failed = {r["id"]: r["error"] for r in report if r["status"] == "failed"}
    assert set(failed) == {"missing", "noface", "bademotion"}
    assert "not found" in failed["missing"] and "nobody.jpg" in failed["missing"]
    assert "face" in failed["noface"]
    assert "unknown emotion 'ecstatic'" in failed["bademotion"]
    assert all(float(r["seconds"]) >= 0 and "\n" not in r["error"] for r in report)

    third = _emohead("batch", str(jobs), "-o", str(out), "-q")  # nothing left but the bad rows, which fail again
    assert third.returncode == 1 and "0 done, 3 failed, 17 finished before" in third.stderr
    assert len(_report(out)) == 20, "a restart must not pile up report lines"


def test_jsonl_rows_and_unreadable_lines(tmp_path):
    path = tmp_path / "jobs.jsonl"
    path.write_text('{"portrait": "a.jpg", "audio": "b.wav", "id": "../../evil"}\n\n[1, 2]\n{"portrait": \n')
    rows = list(read_rows(path))
    assert [r.number for r in rows] == [1, 2, 3]
    assert rows[0].id == "evil" and rows[0].outputs(tmp_path) == {"output": tmp_path / "evil.mp4"}
    assert rows[1].error.startswith("not a JSON object") and rows[2].error.startswith("not valid JSON")
    assert Row(7, {}).id == "0007"


@pytest.mark.parametrize(
    "name, text, problem",
    [
        ("jobs.txt", "portrait,audio\n", "use a .csv"),
        ("jobs.csv", "face,speech\nx,y\n", "no portrait or audio column"),
    ],
)
def test_unusable_jobs_files_fail_in_one_line(tmp_path, name, text, problem):
    (tmp_path / name).write_text(text)
    run = _emohead("batch", str(tmp_path / name), "-o", str(tmp_path / "out"))
    assert run.returncode == 1 and problem in run.stderr and run.stderr.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_batch_json_rows_run_in_process(tmp_path, demo_portrait, short_audio):
    path = tmp_path / "jobs.jsonl"
    rows = [
        {"portrait": str(demo_portrait), "audio": str(short_audio), "emotion": "happy", "export_motion": "m/one.npz"},
        {"portrait": str(demo_portrait), "audio": str(short_audio), "model": "eapc", "emotion_text": "a smile"},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    run = _emohead("batch", str(path), "-o", str(tmp_path / "out"))
    assert run.returncode == 1
    report = _report(tmp_path / "out")
    assert [r["status"] for r in report] == ["ok", "failed"] and "cannot honour" in report[1]["error"]
    with np.load(tmp_path / "out" / "m" / "one.npz") as z:
        assert z["blendshapes"].shape == (75, 52)
    assert not list((tmp_path / "out").glob("*.mp4")), "a row that names only a motion export renders no video"


def test_a_row_finished_by_a_stopped_run_before_its_report_line_gets_one(tmp_path):
    """A batch stopped after a row's video appeared but before its report line was written: the restart does not
    redo the row, and the report still has its ``ok`` line (saying its time is unknown)."""
    from emohead.batch import REPORT, run_batch

    jobs = tmp_path / "jobs.csv"
    jobs.write_text("portrait,audio,id\nface.jpg,voice.wav,clip00\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / "clip00.mp4").write_bytes(b"finished")
    (out / REPORT).write_text("row,id,status,seconds,output,error\n")  # the stopped run's report, without the line
    counts = run_batch(jobs, out, progress=False)
    assert counts == {"ok": 0, "failed": 0, "skipped": 1}
    (line,) = _report(out)
    assert line["id"] == "clip00" and line["status"] == "ok" and float(line["seconds"]) == 0 and "unknown" in line["error"]
    assert (out / "clip00.mp4").read_bytes() == b"finished"
