"""Renderers: Portrait + Motion -> frames. One registry of specs; each renderer is bound to one portrait
and renders posed meshes (``render.base.MeshRenderer``)."""

from __future__ import annotations

from emohead.errors import EmoheadError
from emohead.face.portrait import Portrait
from emohead.spec import RendererSpec

DEFAULT_RENDERER = "warp"
RENDERERS: dict[str, RendererSpec] = {
    "warp": RendererSpec(
        name="warp",
        summary="piecewise-affine warp of the photo over the face mesh + drawn mouth interior; no training",
        package=__name__,
        entry="warp:WarpRenderer",
    ),
    "lm2vid": RendererSpec(
        name="lm2vid",
        summary="Lm2Vid 9-layer U-Net (EAI 2025), bundled as a refiner of the warp; trained on real frames",
        package=__name__,
        entry="lm2vid:Lm2VidRenderer",
        network="lm2vid:UNet9",
        dataset="emohead.train.lm2vid:Lm2VidData",
        module="emohead.train.lm2vid:Lm2VidModule",
        weights="lm2vid",
        extra="train",
    ),
}


def get_renderer_spec(name: str) -> RendererSpec:
    if name not in RENDERERS:
        raise EmoheadError(f"unknown renderer {name!r}; available: {', '.join(RENDERERS)}")
    return RENDERERS[name]


def renderer_class(name: str) -> type:
    """The renderer class registered as ``name``; unknown names raise with the list of known ones."""
    spec = get_renderer_spec(name)
    return spec.load(spec.entry)


def load_renderer(name: str, portrait: Portrait, weights=None):
    """A renderer by registry name, bound to one portrait: ``load_renderer("warp", portrait).frames(motion)``.
    ``weights``: a trained renderer's folder (lm2vid); None uses the bundled weights."""
    spec = get_renderer_spec(name)
    cls = spec.load(spec.entry)
    if spec.weights is None:
        if weights is not None:
            raise EmoheadError(f"--renderer {name} has no learnt weights; drop --renderer-weights")
        return cls(portrait)
    return cls(portrait, weights=weights)


__all__ = ["DEFAULT_RENDERER", "RENDERERS", "get_renderer_spec", "load_renderer", "renderer_class"]
