"""The web page and the REST API (``/api/v1``), one FastAPI app on the same stages as ``emohead generate``.

Safety: a token (when set) on every request, uploads limited in size before they are read and typed by their
content, no client-chosen name or path ever reaches the file system, a bounded queue that answers 503 with
Retry-After when full, and one-line JSON errors (``{"error": "..."}``), never a traceback.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import re
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib.resources import files
from typing import Annotated
from urllib.parse import parse_qs

from fastapi import FastAPI, File, Form, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from starlette.exceptions import HTTPException

from emohead import limits
from emohead.errors import EmoheadError
from emohead.job import OPTIONS, JobRequest
from emohead.serve.jobs import Job, JobQueue, QueueFull
from emohead.serve.uploads import (
    AUDIO_TYPES,
    IMAGE_TYPES,
    LimitUploadSize,
    UnsupportedType,
    json_response,
    save_upload,
    sniff_audio,
    sniff_image,
)

log = logging.getLogger("emohead.serve")
API = "/api/v1"
_JOB_ID = re.compile(r"^[0-9a-f]{32}$")
RESULTS = {"video": ("video.mp4", "video/mp4"), "npz": ("motion.npz", "application/octet-stream"), "csv": ("motion.csv", "text/csv"), "preview": ("preview.png", "image/png")}  # fmt: skip


@dataclass
class ServerConfig:
    token: str | None = None
    max_upload_mb: float = 50.0
    max_minutes: float = 10.0
    workers: int = max(1, os.cpu_count() or 1)
    queue_size: int = 8
    keep_minutes: float = 60.0
    retry_after: int = 30  # seconds a client is told to wait when the queue is full

    def check(self) -> ServerConfig:
        if self.max_upload_mb <= 0 or self.max_minutes <= 0 or self.workers < 1 or self.queue_size < 1 or self.keep_minutes <= 0:
            raise EmoheadError("--max-upload-mb, --max-minutes, --keep-minutes, --workers and --queue-size must be positive")
        if self.max_minutes > limits.MAX_MINUTES:
            raise EmoheadError(f"--max-minutes {self.max_minutes:g} is over emohead's {limits.MAX_MINUTES:g} min limit")
        return self


def run_job(job: Job, report) -> None:
    """The worker's task: ``emohead.generate`` into the job's folder, then the preview strip."""
    import emohead
    from emohead.emotion.vocabulary import EMOTIONS
    from emohead.motion import DEFAULT_MODEL, get_spec
    from emohead.sheet import preview_strip

    out = job.outputs
    request = JobRequest(job.options)
    result = emohead.generate(
        job.files["portrait"],
        job.files["audio"],
        reference_portrait=job.files.get("reference_portrait"),
        output=out / "video.mp4",
        export_motion=out / "motion.npz",
        blendshapes_csv=out / "motion.csv",
        max_minutes=job.max_minutes,
        on_progress=report,
        **request.generate_kwargs(),
    )
    report("preview", 0.97)
    spec = get_spec(job.options.get("model", DEFAULT_MODEL))  # the preview shows labels: the job's model if it takes them
    preview_strip(result.inputs, out / "preview.png", EMOTIONS[:7], spec.name if "label" in spec.conditions else DEFAULT_MODEL)
    job.results = {name: out / fname for name, (fname, _) in RESULTS.items() if (out / fname).exists()}
    job.info.update(duration=round(result.duration, 3), frames=result.n_frames, notes=result.notes)


def create_app(config: ServerConfig | None = None, run=run_job):
    """The ASGI app: the FastAPI routes inside the token and upload-size guards."""
    config = (config or ServerConfig()).check()
    state: dict[str, JobQueue] = {}

    @asynccontextmanager
    async def lifespan(_app):
        state["queue"] = JobQueue(run, config.workers, config.queue_size, config.keep_minutes * 60)
        log.info("job files under %s", state["queue"].root)
        try:
            yield
        finally:
            state["queue"].shutdown()

    app = FastAPI(
        title="emohead",
        version=_version(),
        description="Emotion-controllable talking faces from one portrait and speech. Submit a job, poll it, fetch the results.",
        docs_url=None,  # the stock docs pages load scripts from a CDN; ours (below) are self-contained
        redoc_url=None,
        openapi_url=f"{API}/openapi.json",
        lifespan=lifespan,
    )

    def error(status: int, message: str, headers: dict | None = None) -> JSONResponse:
        return JSONResponse({"error": message}, status_code=status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request, exc: RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ())[1:]) or "request"
        return error(422, f"{where}: {first.get('msg', 'invalid')}; see {API}/docs")

    @app.exception_handler(HTTPException)
    async def _http(_request, exc: HTTPException):
        return error(exc.status_code, str(exc.detail))

    @app.exception_handler(Exception)
    async def _crash(_request, exc: Exception):
        log.error("request failed", exc_info=exc)
        return error(500, "internal error; the server log has the details")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def page():
        return HTMLResponse(files("emohead.serve").joinpath("page.html").read_text(encoding="utf-8"))

    @app.get(f"{API}/docs", response_class=HTMLResponse, include_in_schema=False)
    def docs():
        from emohead.serve.docs import render_docs

        return HTMLResponse(render_docs(app.openapi()))

    @app.get(f"{API}/health")
    def health():
        """The server is up; job counts by state."""
        return {"status": "ok", "version": _version(), "jobs": state["queue"].counts()}

    @app.get(f"{API}/models")
    def models():
        """Every registered motion model and renderer, the emotion condition kinds each model honours, and
        the options and limits a request may use."""
        return _catalogue(config)

    @app.get(f"{API}/demo/{{name}}", include_in_schema=False)
    def demo(name: str):
        from emohead.assets import demo_inputs

        portrait, audio, transcript = demo_inputs()
        if name == "transcript":
            return {"transcript": transcript}
        path = {"portrait": portrait, "audio": audio}.get(name)
        if path is None:
            return error(404, f"no demo file {name!r}; use portrait, audio or transcript")
        return FileResponse(path, media_type="image/jpeg" if name == "portrait" else "audio/flac")

    @app.post(f"{API}/generate", status_code=202)
    def generate(
        portrait: Annotated[UploadFile, File(description=f"the photo ({IMAGE_TYPES})")],
        audio: Annotated[UploadFile, File(description=f"the speech ({AUDIO_TYPES})")],
        reference_portrait: Annotated[UploadFile | None, File(description="a photo whose expression sets the emotion")] = None,
        options: Annotated[str, Form(description=f"JSON object of generate's options by the CLI's names: {', '.join(OPTIONS)}")] = "{}",
    ):
        """Queue a job: 202 with its id; 401, 413, 415, 422 or 503 (with Retry-After) otherwise."""
        queue = state["queue"]
        try:
            raw = json.loads(options or "{}")
        except json.JSONDecodeError as err:
            return error(
                422, f'options is not valid JSON ({err.msg} at character {err.pos}); send an object such as {{"emotion": "happy"}}'
            )
        if not isinstance(raw, dict):
            return error(422, 'options must be a JSON object such as {"emotion": "happy"}')
        try:
            request = JobRequest.parse(raw)
            request.check(reference_portrait=reference_portrait.filename if reference_portrait else None)
        except EmoheadError as err:
            return error(422, str(err))
        if queue.full():
            return _busy(config)
        job = queue.new_job(request.options)
        job.max_minutes = config.max_minutes
        try:
            uploads = {"portrait": portrait, "audio": audio, "reference_portrait": reference_portrait}
            for name, upload in uploads.items():
                if upload is None:
                    continue
                image = name != "audio"
                job.files[name] = save_upload(
                    upload.file,
                    job.inputs,
                    name,
                    sniff_image if image else sniff_audio,
                    name.replace("_", " "),
                    IMAGE_TYPES if image else AUDIO_TYPES,
                )
            from emohead.audio.io import check_audio

            seconds = check_audio(job.files["audio"], None)
            if seconds > config.max_minutes * 60:
                queue.discard(job)
                return error(
                    413,
                    f"the audio is {seconds / 60:.1f} min long, over this server's {config.max_minutes:g} min limit; send a shorter clip",
                )
            queue.submit(job)
        except UnsupportedType as err:
            queue.discard(job)
            return error(415, str(err))
        except EmoheadError as err:
            queue.discard(job)
            return error(422, _without_paths(str(err), job))
        except QueueFull:
            queue.discard(job)
            return _busy(config)
        except BaseException:
            queue.discard(job)
            raise
        return {"id": job.id, "state": job.state, "status_url": f"{API}/jobs/{job.id}"}

    def find(job_id: str) -> Job:
        job = state["queue"].get(job_id) if _JOB_ID.match(job_id) else None
        if job is None:
            raise HTTPException(404, f"no job {job_id[:40]!r}: it never existed or its results expired (kept {config.keep_minutes:g} min)")
        return job

    @app.get(f"{API}/jobs/{{job_id}}")
    def job_status(job_id: str):
        """State (queued, running, done, failed), stage, progress 0..1, error, result names."""
        job = find(job_id)
        return {**job.public(), "error": _without_paths(job.error, job) if job.error else None}

    def result(job_id: str, name: str):
        job = find(job_id)
        if job.state != "done":
            raise HTTPException(
                409, f"job {job_id} is {job.state}" + (f": {_without_paths(job.error, job)}" if job.error else "; poll it until done")
            )
        fname, media = RESULTS[name]
        return FileResponse(job.results[name], media_type=media, filename=fname)

    @app.get(f"{API}/jobs/{{job_id}}/video")
    def job_video(job_id: str):
        """The talking-face video (H.264 + AAC mp4)."""
        return result(job_id, "video")

    @app.get(f"{API}/jobs/{{job_id}}/motion")
    def job_motion(job_id: str, format: str = "npz"):
        """The motion: npz (lm68, mesh, blendshapes, pose) or csv (Live Link Face blendshapes)."""
        if format not in ("npz", "csv"):
            raise HTTPException(422, f"format {format[:20]!r} is not available; use npz or csv")
        return result(job_id, format)

    @app.get(f"{API}/jobs/{{job_id}}/preview")
    def job_preview(job_id: str):
        """A strip of one frame in each of the seven emotions (PNG)."""
        return result(job_id, "preview")

    return TokenGuard(LimitUploadSize(app, int(config.max_upload_mb * 2**20)), config.token)


def _busy(config: ServerConfig):
    return JSONResponse(
        {"error": f"the server is busy (all {config.queue_size} queue places taken); retry in {config.retry_after} s"},
        status_code=503,
        headers={"Retry-After": str(config.retry_after)},
    )


def _without_paths(message: str, job: Job) -> str:
    """Messages name the server's temporary paths; the client knows its files by their field names."""
    return message.replace(str(job.inputs) + "/", "").replace(str(job.dir), "job")


def _catalogue(config: ServerConfig) -> dict:
    from emohead.api import GenerateOptions
    from emohead.emotion.condition import KINDS
    from emohead.emotion.vocabulary import EMOTIONS
    from emohead.motion import specs
    from emohead.render import RENDERERS

    defaults = GenerateOptions()
    return {
        "default_model": defaults.model,
        "models": [
            {
                "name": s.name,
                "summary": s.summary,
                "conditions": sorted(s.conditions),
                "options": sorted(s.options),
                "predicts_intensity": s.predicts_intensity,
            }
            for s in specs().values()
        ],
        "renderers": [{"name": r.name, "summary": r.summary} for r in RENDERERS.values()],
        "condition_kinds": KINDS,
        "emotions": list(EMOTIONS),
        "sizes": list(limits.SIZES),
        "options": {name: {"type": t.__name__, "help": h} for name, (t, h) in OPTIONS.items()},
        "limits": {
            "max_upload_mb": config.max_upload_mb,
            "max_minutes": config.max_minutes,
            "intensity_max": limits.INTENSITY_MAX,
            "head_motion_max": limits.HEAD_MOTION_MAX,
        },
    }


def _version() -> str:
    from emohead import __version__

    return __version__


class TokenGuard:
    """ASGI middleware: with a token set, every request must carry it (``Authorization: Bearer T``, the
    ``X-Emohead-Token`` header, or ``?token=T`` for links a browser opens)."""

    def __init__(self, app, token: str | None):
        self.app = app
        self.token = token

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not self.token or self._carries(scope):
            return await self.app(scope, receive, send)
        await json_response(
            send,
            401,
            "this server needs a token; send 'Authorization: Bearer TOKEN' (or open the page as /?token=TOKEN)",
            [(b"www-authenticate", b"Bearer")],
        )

    def _carries(self, scope) -> bool:
        headers = dict(scope["headers"])
        given = headers.get(b"x-emohead-token", b"").decode("latin-1")
        auth = headers.get(b"authorization", b"").decode("latin-1")
        if auth.lower().startswith("bearer "):
            given = auth[7:].strip()
        if not given:
            given = (parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token") or [""])[0]
        return hmac.compare_digest(given.encode(), self.token.encode())


def serve(host: str, port: int, config: ServerConfig, quiet: bool = False) -> None:
    """Run the server until Ctrl-C or SIGTERM; job files are deleted on the way out."""
    import uvicorn

    if not config.token and host not in ("127.0.0.1", "localhost", "::1"):
        raise EmoheadError(f"binding to {host} exposes the server beyond this machine; set --token (or $EMOHEAD_TOKEN) first")
    app = create_app(config)
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO, format="emohead serve: %(message)s")
    if not quiet:
        shown = "localhost" if host in ("127.0.0.1", "::1") else host
        print(f"emohead: serving the page on http://{shown}:{port}/ and the API on http://{shown}:{port}{API}/docs (Ctrl-C stops)")
    uvicorn.run(app, host=host, port=port, log_level="warning" if quiet else "info", access_log=not quiet)
