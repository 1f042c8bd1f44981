"""Networks whose constructor arguments are their config: saved as ``config.json`` + ``model.safetensors``.

``save_pretrained(dir)`` / ``from_pretrained(name_or_dir)``; a bare name resolves to weights bundled in
``emohead/assets/weights/NAME``. Nothing is ever downloaded, and nothing is pickled.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path

import torch
from torch import nn

from emohead.errors import EmoheadError


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
    """Subclasses call ``super().__init__(**config)`` with every constructor argument."""

    def __init__(self, **config):
        super().__init__()
        self.config = dict(config)

    def save_pretrained(self, directory: str | Path, extra: dict | None = None) -> None:
        from safetensors.torch import save_file

        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        doc = {"class": type(self).__name__, "config": self.config, **(extra or {})}
        (directory / "config.json").write_text(json.dumps(doc, indent=1) + "\n")
        save_file({k: v.detach().contiguous() for k, v in self.state_dict().items()}, str(directory / "model.safetensors"))

    @classmethod
    def from_pretrained(cls, name_or_dir: str | Path):
        from safetensors.torch import load_file

        directory = Path(name_or_dir)
        if not (directory / "config.json").exists():
            from emohead.assets import ASSETS_DIR

            directory = ASSETS_DIR / "weights" / str(name_or_dir)
        if not (directory / "config.json").exists():
            raise EmoheadError(f"no {cls.__name__} weights at {name_or_dir} (a folder needs config.json + model.safetensors); "
                               f"train some with `emohead train` and pass --weights RUN/weights")  # fmt: skip
        doc = json.loads((directory / "config.json").read_text())
        if doc.get("class") != cls.__name__:
            raise EmoheadError(f"{directory} holds a {doc.get('class')}, not a {cls.__name__}")
        model = cls(**doc["config"])
        model.load_state_dict(load_file(str(directory / "model.safetensors")))
        return model.eval()
