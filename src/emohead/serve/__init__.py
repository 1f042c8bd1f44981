"""``emohead serve``: the web page and the REST API (the ``web`` extra: ``pip install 'emohead[web]'``)."""

from emohead.serve.app import ServerConfig, create_app, serve

__all__ = ["ServerConfig", "create_app", "serve"]
