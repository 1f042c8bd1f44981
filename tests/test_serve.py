"""`emohead serve`: the REST API against a real server process on localhost, and the job options both the
server and the batch runner read."""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from emohead.errors import EmoheadError
from emohead.job import JobRequest
from emohead.serve.uploads import sniff_audio, sniff_image

pytest.importorskip("fastapi", reason="needs the web extra")
httpx = pytest.importorskip("httpx")

TOKEN = "s3cret-token"


# -- job options and file types (fast) -------------------------------------------------------------


def test_job_options_take_cli_names_and_convert_csv_strings():
    request = JobRequest.parse(
        {"--head-motion": "0.5", "full-frame": "yes", "no_blinks": "1", "size": "512", "emotion": "happy", "seed": ""}
    )
    assert request.generate_kwargs() == {"head_motion": 0.5, "full_frame": True, "blinks": False, "size": 512, "emotion": "happy"}
    cell = JobRequest.parse({"model": "emospeaker", "emospeaker-window": "5", "intensity_level": 2})
    assert cell.generate_kwargs() == {"model": "emospeaker", "model_options": {"window": 5, "intensity_level": 2}}
    cell.check()
    heard = JobRequest.parse({"model": "mul2lm", "heard-mouth": "yes"})
    assert heard.generate_kwargs() == {"model": "mul2lm", "model_options": {"heard_mouth": True}}
    heard.check()


@pytest.mark.parametrize(
    "raw, problem",
    [
        ({"emotoin": "happy"}, "unknown option 'emotoin'"),
        ({"intensity": "lots"}, "intensity: 'lots' is not a finite number"),
        ({"intensity": "nan"}, "not a finite number"),
        ({"size": 256.5}, "size: 256.5 is not a whole number"),
        ({"full_frame": "maybe"}, "full_frame: 'maybe' is not true or false"),
        ({"emotion": 3}, "emotion: 3 must be text"),
    ],
)
def test_bad_job_options_are_named(raw, problem):
    with pytest.raises(EmoheadError, match=problem):
        JobRequest.parse(raw)


def test_job_check_refuses_what_the_model_cannot_honour():
    with pytest.raises(EmoheadError, match="unknown emotion 'hapy'"):
        JobRequest.parse({"emotion": "hapy"}).check()
    with pytest.raises(EmoheadError, match="cannot honour"):
        JobRequest.parse({"model": "eapc", "emotion_text": "a faint smile"}).check()
    JobRequest.parse({"model": "eapc", "emotion": "sad", "intensity": 0.5}).check()


def test_file_types_are_read_from_content(demo_portrait, demo_audio, short_audio):
    assert sniff_image(demo_portrait.read_bytes()[:32]) == ".jpg"
    assert sniff_audio(demo_audio.read_bytes()[:32]) == ".flac"
    assert sniff_audio(short_audio.read_bytes()[:32]) == ".wav"
    assert sniff_image(b"hello, I am a text file\n") is None
    assert sniff_audio(demo_portrait.read_bytes()[:32]) is None


def test_page_and_docs_fetch_nothing_from_elsewhere():
    from emohead.serve.app import create_app  # noqa: F401 - the page ships with the app

    page = (Path(__import__("emohead.serve", fromlist=["x"]).__file__).parent / "page.html").read_text()
    assert "://" not in page and "@import" not in page and '<link rel="stylesheet"' not in page


# -- a real server ------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``emohead serve`` in its own process, with its temporary files in ``tmp``."""

    def __init__(self, tmp: Path, *args: str, token: str | None = TOKEN):
        self.tmp = tmp
        tmp.mkdir(exist_ok=True)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "TMPDIR": str(tmp)}
        env.pop("EMOHEAD_TOKEN", None)
        cmd = [sys.executable, "-m", "emohead", "serve", "--port", str(self.port), "--quiet", *args]
        if token:
            cmd += ["--token", token]
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.time() + 60
        while time.time() < deadline:
            assert self.proc.poll() is None, self.proc.stdout.read()
            try:
                httpx.get(self.url + "/api/v1/health", headers=self.headers, timeout=1)
                return
            except httpx.TransportError:
                time.sleep(0.2)
        raise AssertionError("the server did not start in 60 s")

    def get(self, path: str, **kw):
        return httpx.get(self.url + path, headers=kw.pop("headers", self.headers), timeout=30, **kw)

    def submit(self, portrait: Path | bytes, audio: Path, options: dict | None = None, names=("face.jpg", "speech.wav"), **kw):
        body = portrait.read_bytes() if isinstance(portrait, Path) else portrait
        files = {"portrait": (names[0], body), "audio": (names[1], audio.read_bytes())}
        return httpx.post(
            self.url + "/api/v1/generate",
            files=files,
            data={"options": json.dumps(options or {})},
            headers=kw.pop("headers", self.headers),
            timeout=60,
            **kw,
        )

    def wait(self, job_id: str, timeout: float = 120) -> dict:
        deadline = time.time() + timeout
        while time.time() < deadline:
            status = self.get(f"/api/v1/jobs/{job_id}").json()
            if status["state"] in ("done", "failed"):
                return status
            time.sleep(0.3)
        raise AssertionError(f"job {job_id} did not finish in {timeout} s")

    def stop(self) -> str:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                raise
        return self.proc.stdout.read()


@pytest.fixture
def server(tmp_path):
    srv = Server(tmp_path / "tmp", "--workers", "2", "--queue-size", "4", "--max-upload-mb", "1", "--max-minutes", "0.1")
    yield srv
    srv.stop()


def _probe_seconds(path: Path) -> float:
    from emohead.video.io import probe

    return probe(path)["duration"]


@pytest.mark.slow
def test_job_life_cycle(server, demo_portrait, short_audio, tmp_path):
    models = server.get("/api/v1/models").json()
    by_name = {m["name"]: m for m in models["models"]}
    assert {"analytic", "eapc", "mul2lm"} <= set(by_name) and "label" in by_name["analytic"]["conditions"]
    assert "voice" in by_name["eapc"]["conditions"] and "voice" not in by_name["analytic"]["conditions"]

    response = server.submit(demo_portrait, short_audio, {"emotion": "happy", "intensity": 0.8, "head_motion": 0.5})
    assert response.status_code == 202, response.text
    job_id = response.json()["id"]
    seen = set()
    deadline = time.time() + 120
    while (status := server.get(f"/api/v1/jobs/{job_id}").json())["state"] not in ("done", "failed") and time.time() < deadline:
        seen.add(status["state"])
        time.sleep(0.1)
    assert status["state"] == "done", status
    assert status["progress"] == 1.0 and status["frames"] == 75 and abs(status["duration"] - 3.0) < 0.05
    assert seen & {"queued", "running"}

    video = server.get(f"/api/v1/jobs/{job_id}/video")
    assert video.status_code == 200 and video.headers["content-type"] == "video/mp4"
    (tmp_path / "out.mp4").write_bytes(video.content)
    assert abs(_probe_seconds(tmp_path / "out.mp4") - 3.0) < 0.1
    with np.load(io.BytesIO(server.get(f"/api/v1/jobs/{job_id}/motion").content)) as z:
        assert z["blendshapes"].shape == (75, 52) and z["lm68"].shape[1:] == (68, 3)
    csv = server.get(f"/api/v1/jobs/{job_id}/motion", params={"format": "csv"}).text.splitlines()
    assert csv[0].startswith("Timecode,BlendShapeCount") and len(csv) == 76
    preview = server.get(f"/api/v1/jobs/{job_id}/preview")
    assert preview.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert server.get(f"/api/v1/jobs/{job_id}/motion", params={"format": "exe"}).status_code == 422
    assert server.get("/api/v1/health").json()["jobs"]["done"] == 1
    assert "POST" in server.get("/api/v1/docs").text and server.get("/api/v1/openapi.json").json()["paths"]

    server.stop()
    assert list((tmp_path / "tmp").iterdir()) == [], "the server left temporary files behind"


@pytest.mark.slow
def test_requests_it_refuses(server, demo_portrait, demo_audio, short_audio, tmp_path):
    no_token = server.get("/api/v1/health", headers={})
    assert no_token.status_code == 401 and "token" in no_token.json()["error"]
    assert server.get("/api/v1/health", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert server.get("/", headers={}).status_code == 401
    assert server.get(f"/?token={TOKEN}", headers={}).status_code == 200
    assert server.submit(demo_portrait, short_audio, headers={}).status_code == 401

    big = server.submit(b"\xff\xd8\xff" + os.urandom(2 * 2**20), short_audio)
    assert big.status_code == 413 and "1 MB limit" in big.json()["error"]
    long = server.submit(demo_portrait, demo_audio)  # 11 s against --max-minutes 0.1 (6 s)
    assert long.status_code == 413 and "0.1 min limit" in long.json()["error"]

    text = server.submit(b"this is a text file, not a photo\n", short_audio, names=("face.jpg", "speech.wav"))
    assert text.status_code == 415 and "looks like text" in text.json()["error"]
    not_audio = server.submit(demo_portrait, demo_portrait)
    assert not_audio.status_code == 415 and "audio" in not_audio.json()["error"]

    for options, problem in (
        ({"emotion": "hapy"}, "unknown emotion 'hapy'"),
        ({"model": "eapc", "emotion_text": "a smile"}, "cannot honour"),
        ({"size": 300}, "--size 300"),
        ({"weights": "/etc"}, "unknown option 'weights'"),
        ({"emotion": "happy", "emospeaker_window": 5}, "--emospeaker-window applies to --model emospeaker only"),
    ):
        answer = server.submit(demo_portrait, short_audio, options)
        assert answer.status_code == 422 and problem in answer.json()["error"], answer.text
        assert "Traceback" not in answer.text and "\n" not in answer.json()["error"]
    garbled = httpx.post(server.url + "/api/v1/generate", data={"options": "{"}, headers=server.headers)
    assert garbled.status_code == 422 and "portrait" in garbled.json()["error"]

    sky = tmp_path / "sky.png"
    Image.new("RGB", (320, 240), (90, 140, 230)).save(sky)
    failed = server.wait(server.submit(sky, short_audio).json()["id"])
    assert failed["state"] == "failed" and "no face found in the portrait" in failed["error"] and "/" not in failed["error"]
    assert server.get(f"/api/v1/jobs/{failed['id']}/video").status_code == 409
    assert not [p for p in (tmp_path / "tmp").rglob("*") if p.is_file()], "a failed job left files"

    # names the client chooses never reach the file system
    evil = server.submit(demo_portrait, short_audio, {"head_motion": 0}, names=("../../x.jpg", "../../../../x.wav"))
    assert evil.status_code == 202
    assert server.wait(evil.json()["id"])["state"] == "done"
    assert not list(tmp_path.rglob("x.*"))
    for bad in ("../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "0" * 31 + "g"):
        assert server.get(f"/api/v1/jobs/{bad}").status_code == 404
    assert server.get("/api/v1/health").json()["status"] == "ok"


@pytest.mark.slow
def test_a_full_queue_answers_503_and_the_server_stays_up(server, demo_portrait, short_audio, tmp_path):
    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(lambda _: server.submit(demo_portrait, short_audio, {"emotion": "sad"}), range(20)))
    codes = [a.status_code for a in answers]
    assert set(codes) <= {202, 503} and codes.count(202) >= 4 and 503 in codes, codes
    assert all(a.headers.get("retry-after", "").isdigit() for a in answers if a.status_code == 503)
    for answer in answers:
        if answer.status_code == 202:
            status = server.wait(answer.json()["id"], timeout=240)
            assert status["state"] == "done", status
            assert server.get(f"/api/v1/jobs/{answer.json()['id']}/video").status_code == 200
    assert server.get("/api/v1/health").json()["jobs"]["done"] == codes.count(202)
    for _ in range(3):  # stopped with jobs running and waiting: they fail, and their files go too
        assert server.submit(demo_portrait, short_audio).status_code == 202
    server.stop()
    assert server.proc.returncode == 0
    assert list((tmp_path / "tmp").iterdir()) == [], "temporary files were left behind"


@pytest.mark.slow
def test_results_expire_and_their_files_go(tmp_path, demo_portrait, short_audio):
    srv = Server(tmp_path / "tmp", "--keep-minutes", "0.02", "--workers", "1", token=None)
    try:
        job_id = srv.submit(demo_portrait, short_audio).json()["id"]
        assert srv.wait(job_id)["state"] == "done"
        (root,) = (tmp_path / "tmp").iterdir()
        assert (root / job_id / "out" / "video.mp4").exists() and not (root / job_id / "in").exists()
        time.sleep(1.5)
        gone = srv.get(f"/api/v1/jobs/{job_id}")
        assert gone.status_code == 404 and "expired" in gone.json()["error"]
        assert not (root / job_id).exists()
    finally:
        srv.stop()


def test_binding_beyond_localhost_needs_a_token():
    env = {k: v for k, v in os.environ.items() if k != "EMOHEAD_TOKEN"}
    run = subprocess.run(
        [sys.executable, "-m", "emohead", "serve", "--host", "0.0.0.0"], capture_output=True, text=True, env=env, timeout=60
    )
    assert run.returncode == 1 and run.stderr.count("\n") == 1 and "--token" in run.stderr
