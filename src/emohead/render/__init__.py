"""Renderers: Portrait + Motion -> frames. One registry; each renderer takes a Portrait and renders meshes."""

from __future__ import annotations

from emohead.errors import EmoheadError
from emohead.face.analyze import Portrait


def _warp():
    from emohead.render.warp import WarpRenderer

    return WarpRenderer


def _lm2vid():
    try:
        from emohead.render.lm2vid import Lm2VidRenderer
    except ImportError:
        raise EmoheadError("the lm2vid renderer needs PyTorch: pip install 'emohead[train]'") from None
    return Lm2VidRenderer


RENDERERS = {"warp": _warp, "lm2vid": _lm2vid}


def renderer_class(name: str) -> type:
    """The renderer class registered as ``name``; unknown names raise with the list of known ones."""
    if name not in RENDERERS:
        raise EmoheadError(f"unknown renderer {name!r}; available: {', '.join(RENDERERS)}")
    return RENDERERS[name]()


def load_renderer(name: str, portrait: Portrait, weights=None):
    """A renderer by registry name, bound to one portrait: ``load_renderer("warp", portrait).frames(motion)``.
    ``weights``: a trained renderer's folder (lm2vid); None uses the bundled weights."""
    cls = renderer_class(name)
    return cls(portrait, weights=weights) if weights is not None else cls(portrait)


__all__ = ["RENDERERS", "load_renderer", "renderer_class"]
