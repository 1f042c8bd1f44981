"""Renderers: Portrait + Motion -> frames. One registry; each renderer takes a Portrait and renders meshes."""

from __future__ import annotations

from emohead.errors import EmoheadError
from emohead.face.analyze import Portrait


def _warp():
    from emohead.render.warp import WarpRenderer

    return WarpRenderer


RENDERERS = {"warp": _warp}


def renderer_class(name: str) -> type:
    """The renderer class registered as ``name``; unknown names raise with the list of known ones."""
    if name not in RENDERERS:
        raise EmoheadError(f"unknown renderer {name!r}; available: {', '.join(RENDERERS)}")
    return RENDERERS[name]()


def load_renderer(name: str, portrait: Portrait):
    """A renderer by registry name, bound to one portrait: ``load_renderer("warp", portrait).frames(motion)``."""
    return renderer_class(name)(portrait)


__all__ = ["RENDERERS", "load_renderer", "renderer_class"]
