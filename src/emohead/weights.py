"""Every learnt artefact is saved and loaded one way: a folder with ``config.json`` + ``model.safetensors``.

``config.json`` holds ``{"class": NAME, "config": {constructor arguments}, ...extra}``; the tensors hold the
learnt numbers. Networks (``nn.base.ConfigModule``) and the face model (``face.model.FaceModel``) both use
:func:`save_artifact` / :func:`load_artifact`. Nothing is pickled and nothing is downloaded.

Where a folder is looked up (:func:`resolve_weights`): an explicit path must exist (a typo is an error,
never a silent fallback); a bare name such as ``"eapc"`` names weights bundled in
``emohead/assets/weights/NAME``.
"""

from __future__ import annotations

import json
from pathlib import Path

from emohead.errors import EmoheadError

CONFIG, TENSORS = "config.json", "model.safetensors"


def bundled_dir(name: str) -> Path:
    from emohead.assets import ASSETS_DIR

    return ASSETS_DIR / "weights" / name


def resolve_weights(name_or_dir: str | Path, what: str = "weights") -> Path:
    """The folder for ``name_or_dir``: a bundled name, or a path that must hold config.json + model.safetensors."""
    text = str(name_or_dir)
    is_name = "/" not in text and "\\" not in text and not text.startswith(".") and not Path(text).exists()
    directory = bundled_dir(text) if is_name else Path(text)
    if is_name and not directory.is_dir():
        from emohead.assets import ASSETS_DIR

        known = sorted(p.name for p in (ASSETS_DIR / "weights").iterdir() if (p / CONFIG).is_file())
        raise EmoheadError(f"no bundled {what} named {text!r} (bundled: {', '.join(known)}); give a folder path such as runs/NAME/weights")
    if not directory.exists():
        raise EmoheadError(f"{what} folder {directory} does not exist; check the path (train some with `emohead train`)")
    if not (directory / CONFIG).is_file() or not (directory / TENSORS).is_file():
        raise EmoheadError(f"{what} folder {directory} needs {CONFIG} + {TENSORS}; point at a run's weights/ folder")
    return directory


def save_artifact(directory: str | Path, cls_name: str, config: dict, tensors: dict, extra: dict | None = None) -> None:
    """Write ``config.json`` (class, constructor config, extra) and ``model.safetensors`` (numpy or torch tensors)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    doc = {"class": cls_name, "config": config, **(extra or {})}
    (directory / CONFIG).write_text(json.dumps(doc, indent=1) + "\n")
    first = next(iter(tensors.values()), None)
    if first is not None and type(first).__module__.startswith("torch"):
        from safetensors.torch import save_file

        save_file({k: v.detach().contiguous() for k, v in tensors.items()}, str(directory / TENSORS))
    else:
        from safetensors.numpy import save_file

        save_file(tensors, str(directory / TENSORS))


def load_artifact(name_or_dir: str | Path, cls_name: str, framework: str = "np") -> tuple[dict, dict, dict]:
    """(constructor config, tensors, the whole config.json) of a saved ``cls_name``; errors name the problem.
    framework: "np" for numpy arrays, "pt" for torch tensors."""
    from safetensors import SafetensorError
    from safetensors.numpy import load_file as load_np

    directory = resolve_weights(name_or_dir, f"{cls_name} weights")
    try:
        doc = json.loads((directory / CONFIG).read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise EmoheadError(f"{directory / CONFIG} is not readable JSON ({err}); re-export the weights") from None
    if not isinstance(doc, dict) or doc.get("class") != cls_name or not isinstance(doc.get("config"), dict):
        found = doc.get("class") if isinstance(doc, dict) else type(doc).__name__
        raise EmoheadError(f"{directory} holds a {found}, not a {cls_name}; pass the weights of a {cls_name}")
    try:
        if framework == "pt":
            from safetensors.torch import load_file

            tensors = load_file(str(directory / TENSORS))
        else:
            tensors = load_np(str(directory / TENSORS))
    except (OSError, SafetensorError) as err:
        raise EmoheadError(f"{directory / TENSORS} is not a readable safetensors file ({err}); re-export the weights") from None
    return doc["config"], tensors, doc
