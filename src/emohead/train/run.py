"""``emohead train MODEL --data CACHE --out DIR``: one entry point for every trainable model.

Lightning runs the loop: progress bar, CSV logs (``DIR/logs``), a resumable checkpoint
(``DIR/checkpoints/last.ckpt``, Lightning's own format, only for resuming your run), bf16 mixed precision
on a GPU, and DDP when launched with ``torchrun --nproc_per_node N -m emohead train ...`` (NCCL on GPUs,
gloo on CPUs). The result is exported as ``DIR/weights/{config.json, model.safetensors}``, loadable with
``--model NAME --weights DIR/weights``; config.json records how it was trained.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from emohead.errors import EmoheadError


def trainable() -> dict:
    """name -> spec of everything ``emohead train`` can train: motion models and renderers with a training module."""
    from emohead.motion import specs
    from emohead.render import RENDERERS

    return {name: spec for name, spec in {**specs(), **RENDERERS}.items() if spec.trainable}


def _parts(name: str):
    """(network class, training module class, dataset class) from the spec."""
    spec = trainable()[name]
    return spec.load(spec.network), spec.load(spec.module), spec.load(spec.dataset)


def train(
    model: str,
    data,
    out,
    config: dict | None = None,
    max_steps: int = -1,
    max_epochs: int = 10,
    batch_size: int = 32,
    workers: int = 0,
    accelerator: str = "auto",
    devices="auto",
    strategy: str = "auto",
    progress: bool = True,
    seed: int = 0,
) -> dict:
    """Train ``model`` on a feature cache; returns a summary (steps, minutes, steps/s, final losses).
    ``config`` ({"model", "train", "data"} constructor arguments) defaults to the model folder's config.json."""
    import lightning as L
    import torch
    from lightning.pytorch.callbacks import ModelCheckpoint
    from lightning.pytorch.loggers import CSVLogger
    from torch.utils.data import DataLoader

    from emohead.data.cache import Cache

    choices = trainable()
    if model not in choices:
        raise EmoheadError(f"cannot train {model!r}; trainable: {', '.join(choices)}")
    cache, out = Cache(data), Path(out)
    config = dict(config if config is not None else choices[model].default_config)
    net_cfg, train_cfg = config.get("model", {}), config.get("train", {})
    net_cls, module_cls, data_cls = _parts(model)
    L.seed_everything(seed, workers=True)
    train_set = data_cls(cache, "train", **config.get("data", {}))
    if len(train_set) == 0:
        raise EmoheadError(f"the train split of {data} is empty; prepare more clips or check the index")
    val_set = data_cls(cache, "val", **config.get("data", {}))
    loaders = dict(batch_size=batch_size, num_workers=workers, persistent_workers=workers > 0)
    train_loader = DataLoader(train_set, shuffle=True, drop_last=len(train_set) > batch_size, **loaders)
    val_loader = DataLoader(val_set, **loaders) if len(val_set) else None
    gpu = torch.cuda.is_available() and accelerator in ("auto", "gpu", "cuda")
    net = net_cls(**net_cfg)
    module = module_cls(net, **train_cfg)
    if strategy == "ddp" and not module.automatic_optimization:
        from lightning.pytorch.strategies import DDPStrategy

        strategy = DDPStrategy(find_unused_parameters=True)  # GAN steps leave one network's parameters without gradients
    trainer = L.Trainer(
        default_root_dir=out,
        max_steps=max_steps,
        max_epochs=max_epochs,
        accelerator=accelerator,
        devices=devices,
        strategy=strategy,
        precision="bf16-mixed" if gpu else "32-true",
        logger=CSVLogger(out, name="logs"),
        callbacks=[ModelCheckpoint(dirpath=out / "checkpoints", save_last=True, save_top_k=0)],
        enable_progress_bar=progress,
        log_every_n_steps=5,
        limit_val_batches=1.0 if val_loader else 0,
        num_sanity_val_steps=0,
        enable_model_summary=False,
    )
    resume = out / "checkpoints" / "last.ckpt"
    t0 = time.time()
    trainer.fit(module, train_loader, val_loader, ckpt_path=str(resume) if resume.exists() else None)
    minutes = (time.time() - t0) / 60
    metrics = {k: float(v) for k, v in trainer.callback_metrics.items()}
    summary = {
        "model": model,
        "data": str(data),
        "train_windows": len(train_set),
        "steps": trainer.global_step,  # optimiser steps
        "minutes": round(minutes, 2),
        "steps_per_s": round(trainer.global_step / max(minutes * 60, 1e-9), 2),
        "final": metrics,
        "command": " ".join(["emohead"] + sys.argv[1:]) if sys.argv[0].endswith("emohead") else None,
        "config": config,
        **getattr(module, "summary_extra", {}),
    }
    if trainer.is_global_zero:
        net.save_pretrained(out / "weights", extra={"trained": summary})
        (out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    return summary
