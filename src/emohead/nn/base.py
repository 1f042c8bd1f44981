"""Networks whose constructor arguments are their config: saved as ``config.json`` + ``model.safetensors``.

A subclass of :class:`ConfigModule` just calls ``super().__init__()``: the arguments its own ``__init__``
received (defaults filled in) are recorded as ``self.config`` automatically, so a saved config cannot
drift from the constructor. ``save_pretrained(dir)`` / ``from_pretrained(name_or_dir)`` go through
``emohead.weights``; a bare name resolves to weights bundled in ``emohead/assets/weights/NAME``.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import Iterator
from pathlib import Path

import torch
from torch import nn

from emohead.errors import EmoheadError
from emohead.weights import load_artifact, save_artifact


@contextlib.contextmanager
def quiet_inference() -> Iterator[None]:
    """``no_grad`` on a single torch thread, both restored afterwards: the small networks here run as fast on
    one thread, and stay fast when x264 or another job shares the CPU (two threads under contention ran
    160x slower)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.no_grad():
            yield
    finally:
        torch.set_num_threads(threads)


class ConfigModule(nn.Module):
    """A network whose constructor arguments are recorded as ``self.config`` (see module doc)."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is None:
            return
        signature = inspect.signature(init)

        @functools.wraps(init)
        def recording_init(self, *args, **kw):
            if "_recording" not in self.__dict__:  # the outermost subclass's arguments are the config
                bound = signature.bind(self, *args, **kw)
                bound.apply_defaults()
                object.__setattr__(self, "_recording", {k: v for k, v in bound.arguments.items() if k != "self"})
            init(self, *args, **kw)

        cls.__init__ = recording_init

    def __init__(self):
        recorded = self.__dict__.pop("_recording", {})
        super().__init__()
        self.config = dict(recorded)

    def save_pretrained(self, directory: str | Path, extra: dict | None = None) -> None:
        save_artifact(directory, type(self).__name__, self.config, self.state_dict(), extra)

    @classmethod
    def from_pretrained(cls, name_or_dir: str | Path):
        config, tensors, doc = load_artifact(name_or_dir, cls.__name__, framework="pt")
        try:
            model = cls(**config)
            model.load_state_dict(tensors)
        except (TypeError, RuntimeError) as err:
            first = str(err).strip().splitlines()[0]
            raise EmoheadError(
                f"the {cls.__name__} weights at {name_or_dir} do not fit this version ({first}); retrain or re-export them"
            ) from None
        return model.eval()
