"""Uploads: the file type read from the first bytes (never from the client's name or content type), and a
request size limit enforced while the body streams in, before anything is decoded."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import BinaryIO

IMAGE_TYPES = "JPEG, PNG, WebP, BMP, TIFF or GIF"
AUDIO_TYPES = "WAV, FLAC, MP3, M4A/MP4, OGG/Opus or WebM"


def sniff_image(head: bytes) -> str | None:
    """The file extension for an image's first bytes, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return ".jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return ".png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return ".webp"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return ".gif"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return ".tif"
    if head.startswith(b"BM") and len(head) >= 26:
        return ".bmp"
    return None


def sniff_audio(head: bytes) -> str | None:
    """The file extension for an audio (or video) file's first bytes, or None."""
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return ".wav"
    if head.startswith(b"fLaC"):
        return ".flac"
    if head.startswith(b"OggS"):
        return ".ogg"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return ".mp3"
    if head[4:8] == b"ftyp":
        return ".m4a"
    if head.startswith(b"\x1a\x45\xdf\xa3"):  # EBML: WebM / Matroska (what a browser's recorder makes)
        return ".webm"
    return None


def save_upload(stream: BinaryIO, folder: Path, stem: str, sniff, what: str, kinds: str) -> Path:
    """Copy an upload to ``folder/stem.EXT`` with EXT from its content; UnsupportedType when it is not one
    of ``kinds``. The client's file name is never used."""
    head = stream.read(32)
    ext = sniff(head)
    if ext is None:
        raise UnsupportedType(f"{what} is not a supported file ({kinds}){_looks_like(head)}; upload one of those")
    path = folder / f"{stem}{ext}"
    with open(path, "wb") as out:
        out.write(head)
        shutil.copyfileobj(stream, out, 1 << 20)
    return path


def _looks_like(head: bytes) -> str:
    if not head:
        return ": it is empty"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return ""
    return ": it looks like text"


class UnsupportedType(Exception):
    """An upload whose content is not an accepted type (HTTP 415)."""


class UploadTooLarge(Exception):
    pass


class LimitUploadSize:
    """ASGI middleware: a request body over ``max_bytes`` gets 413 before it is read (by its Content-Length)
    or as soon as the streamed bytes pass the limit."""

    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT"):
            return await self.app(scope, receive, send)
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            return await self._refuse(send)
        seen = 0
        over = False

        async def counted():
            nonlocal seen, over
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                over = True
                raise UploadTooLarge
            return message

        async def guarded_send(message):
            if not over:  # once over the limit, whatever the app answers (a parse error) is replaced by the 413
                await send(message)

        try:
            await self.app(scope, counted, guarded_send)
        except UploadTooLarge:
            pass
        except Exception:
            if not over:
                raise
        if over:
            await self._refuse(send)

    async def _refuse(self, send):
        mb = self.max_bytes / 2**20
        await json_response(
            send,
            413,
            f"the upload is over the server's {mb:g} MB limit; send smaller files or start the server with a larger --max-upload-mb",
        )


async def json_response(send, status: int, error: str, headers: list[tuple[bytes, bytes]] = ()) -> None:
    """A one-line JSON error from plain ASGI middleware."""
    body = json.dumps({"error": error}).encode()
    head = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *headers]
    await send({"type": "http.response.start", "status": status, "headers": head})
    await send({"type": "http.response.body", "body": body})
