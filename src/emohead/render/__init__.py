"""Renderers: Portrait + Motion -> frames."""
