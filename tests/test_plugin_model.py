"""Adding a motion model is one new folder: a toy model written into a temporary folder (found through
$EMOHEAD_MODELS_PATH, without touching any file of the package) shows up in ``generate``, ``train``, ``bench``,
the CLI help and the contract tests."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytest.importorskip("torch")
pytest.importorskip("lightning")

pytestmark = pytest.mark.slow

TOY = {
    "__init__.py": """
from emohead.spec import ModelSpec

SPEC = ModelSpec(name="toy", summary="toy: a linear map from MFCC to the jaw, for the plug-in test", package=__name__,
                 entry="model:ToyMotionModel", network="network:ToyNet", dataset="training:ToyData", module="training:ToyModule",
                 weights="weights", extra="train", conditions=frozenset({"label"}))
""",
    "network.py": '''
import torch
from torch import nn

from emohead import dims
from emohead.nn.base import ConfigModule


class ToyNet(ConfigModule):
    """mfcc (B, T, 40) -> jaw opening (B, T) in [0, 1]."""

    def __init__(self, n_mfcc: int = dims.N_MFCC):
        super().__init__()
        self.jaw = nn.Linear(n_mfcc, 1)

    def forward(self, mfcc):
        return torch.sigmoid(self.jaw(mfcc))[..., 0]
''',
    "model.py": """
import numpy as np
import torch

from emohead.face import blendshapes as bs
from emohead.motion.base import Motion, MotionModel


class ToyMotionModel(MotionModel):
    name = "toy"

    def __init__(self, weights, head_motion=1.0, blinks=True):
        self.net = self.spec.load(self.spec.network).from_pretrained(weights)

    def _generate(self, inputs):
        n, p = inputs.n_frames, inputs.portrait
        w = np.zeros((n, bs.COUNT), np.float32)
        with torch.no_grad():
            w[:, bs.INDEX["jawOpen"]] = 0.5 * self.net(torch.from_numpy(inputs.audio.mfcc)).numpy()
        offset = inputs.emotion.offset(n)
        if offset is not None:
            w = np.clip(w + offset, 0, 1).astype(np.float32)
        return Motion(w, np.repeat(p.pose[None], n, 0), p.neutral, p.face_model)
""",
    "training.py": """
import torch
from torch.utils.data import Dataset

from emohead import dims
from emohead.data.datasets import WindowDataset
from emohead.face import blendshapes as bs
from emohead.train.base import TrainingModule


class ToyData(Dataset):
    def __init__(self, cache, split="train", window=25):
        self.windows = WindowDataset(cache, window=window, split=split, fields=("mfcc", "blendshapes"))

    def __len__(self):
        return len(self.windows)

    def __getitem__(self, i):
        it = self.windows[i]
        return {"mfcc": it["mfcc"], "jaw": it["blendshapes"][:, bs.INDEX["jawOpen"]], "mask": it["mask"]}


class ToyModule(TrainingModule):
    def __init__(self, net, lr: float = 1e-2):
        super().__init__()
        self.net, self.lr = net, lr

    def loss(self, batch):
        err = ((self.net(batch["mfcc"]) - batch["jaw"]) ** 2 * batch["mask"]).sum() / batch["mask"].sum()
        return err, {"mse": err}

    def random_batch(self, batch_size):
        return {"mfcc": torch.randn(batch_size, 25, dims.N_MFCC), "jaw": torch.rand(batch_size, 25), "mask": torch.ones(batch_size, 25)}

    def training_step(self, batch, _):
        loss, _ = self.loss(batch)
        self.log("train/loss", loss, batch_size=len(batch["mfcc"]))
        return loss

    def configure_optimizers(self):
        return torch.optim.Adam(self.net.parameters(), lr=self.lr)
""",
    "config.json": '{"model": {}, "train": {"lr": 0.01}, "data": {"window": 25}}\n',
}


@pytest.fixture(scope="module")
def toy_path(tmp_path_factory):
    import importlib
    import sys as _sys

    root = tmp_path_factory.mktemp("plugins")
    folder = root / "toy"
    folder.mkdir()
    for name, text in TOY.items():
        (folder / name).write_text(text.lstrip())
    _sys.path.insert(0, str(root))  # import the network once here, only to write the folder's bundled weights
    try:
        import torch

        torch.manual_seed(0)
        importlib.import_module("toy.network").ToyNet().save_pretrained(folder / "weights")
    finally:
        _sys.path.remove(str(root))
        for mod in [m for m in _sys.modules if m == "toy" or m.startswith("toy.")]:
            del _sys.modules[mod]
    return root


def _run(toy_path, *args, timeout=300):
    env = {**os.environ, "EMOHEAD_MODELS_PATH": str(toy_path)}
    return subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True, timeout=timeout)


def test_a_model_folder_is_found_everywhere(toy_path, tmp_path, cache, demo_portrait, short_audio):
    emohead = ["-m", "emohead"]
    assert "toy (toy; emotion from --emotion LABEL)" in " ".join(_run(toy_path, *emohead, "generate", "--help").stdout.split())

    out = tmp_path / "toy.mp4"
    r = _run(
        toy_path,
        *emohead,
        "generate",
        "--model",
        "toy",
        "--emotion",
        "happy",
        "--portrait",
        str(demo_portrait),
        "--audio",
        str(short_audio),
        "-o",
        str(out),
        "-q",
    )
    assert r.returncode == 0 and out.stat().st_size > 1000, r.stderr

    r = _run(
        toy_path,
        *emohead,
        "generate",
        "--model",
        "toy",
        "--reference-portrait",
        str(demo_portrait),
        "--portrait",
        str(demo_portrait),
        "--audio",
        str(short_audio),
        "-o",
        str(tmp_path / "no.mp4"),
    )
    assert r.returncode == 1 and not (tmp_path / "no.mp4").exists()
    assert (
        r.stderr.count("\n") == 1
        and "--model toy cannot honour --reference-portrait" in r.stderr
        and "models that can: analytic, medtalk, mul2lm" in r.stderr
    )

    r = _run(toy_path, *emohead, "train", "toy", "--data", str(cache), "--out", str(tmp_path / "run"), "--max-steps", "3", "-q")
    assert r.returncode == 0, r.stderr
    r = _run(
        toy_path,
        *emohead,
        "generate",
        "--model",
        "toy",
        "--weights",
        str(tmp_path / "run" / "weights"),
        "--portrait",
        str(demo_portrait),
        "--audio",
        str(short_audio),
        "--export-motion",
        str(tmp_path / "m.npz"),
        "-q",
    )
    assert r.returncode == 0 and (tmp_path / "m.npz").exists(), r.stderr

    r = _run(toy_path, *emohead, "bench", "--models", "toy", "--sizes", "256", "--seconds", "2")
    assert r.returncode == 0, r.stderr
    assert any(line.startswith("toy") and "motion inference" in line and "training" in line for line in r.stdout.splitlines()), r.stdout

    r = _run(toy_path, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_contract.py", "-k", "toy")
    assert r.returncode == 0, r.stdout[-2000:]
    assert "passed" in r.stdout.splitlines()[-1] and "xfail" not in r.stdout.splitlines()[-1]
