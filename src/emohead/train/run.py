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
    """name -> spec of everything ``emohead train`` can train: motion models and renderers with a training module,
    and the motion emotion recogniser (mfetalk's emotion-consistency loss and an eval metric)."""
    from emohead.emotion.recogniser import SPEC as RECOGNISER
    from emohead.motion import specs
    from emohead.render import RENDERERS

    return {name: spec for name, spec in {**specs(), **RENDERERS, RECOGNISER.name: RECOGNISER}.items() if spec.trainable}


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
    stage: str | None = None,
) -> dict:
    """Train ``model`` on a feature cache; returns a summary (steps, minutes, steps/s, final losses).
    ``config`` ({"model", "train", "data"} constructor arguments) defaults to the model folder's config.json.

    A model trained in stages (``spec.stages``, e.g. MEDTalk) runs ``stage`` or, by default, all of them in order:
    each in ``OUT/stages/NAME`` (its own logs and checkpoint), starting from ``OUT/weights`` (the previous stage's
    result) and writing it back there; ``config["stages"][NAME]`` overrides its "train" arguments and may set
    its own ``max_steps``."""
    choices = trainable()
    if model not in choices:
        raise EmoheadError(f"cannot train {model!r}; trainable: {', '.join(choices)}")
    spec = choices[model]
    config = dict(config if config is not None else spec.default_config)
    run = dict(max_steps=max_steps, max_epochs=max_epochs, batch_size=batch_size, workers=workers, accelerator=accelerator)
    run.update(devices=devices, strategy=strategy, progress=progress, seed=seed)
    if not spec.stages:
        if stage is not None:
            raise EmoheadError(
                f"{model} is trained in one go; drop --stage (models with stages: {', '.join(n for n, s in choices.items() if s.stages) or 'none'})"
            )
        summary = _train_once(model, data, Path(out), config, **run)
        _leave_ranks()
        return summary
    if stage not in (None, "all") and stage not in spec.stages:
        raise EmoheadError(f"unknown --stage {stage!r} for {model}; use one of {', '.join(spec.stages)} or all")
    todo = spec.stages if stage in (None, "all") else (stage,)
    out, summaries = Path(out), []
    for name in todo:
        first = name == spec.stages[0]
        if not first and not (out / "weights" / "config.json").is_file():
            before = spec.stages[spec.stages.index(name) - 1]
            raise EmoheadError(
                f"--stage {name} starts from the {before} stage's weights in {out / 'weights'}; train --stage {before} first"
            )
        extra = dict(config.get("stages", {}).get(name, {}))
        staged = dict(config, train={**config.get("train", {}), **{k: v for k, v in extra.items() if k != "max_steps"}, "stage": name})
        summaries.append(
            _train_once(
                model,
                data,
                out / "stages" / name,
                staged,
                init=None if first else out / "weights",
                **{**run, "max_steps": extra.get("max_steps", max_steps)},
            )
        )
        if _rank_zero():
            _copy_weights(out / "stages" / name / "weights", out / "weights")
        _wait_for_ranks()  # the next stage starts from these weights on every rank
    summary = {
        **summaries[-1],
        "stages": {s["config"]["train"]["stage"]: {k: s[k] for k in ("steps", "minutes", "final")} for s in summaries},
    }
    summary["minutes"] = round(sum(s["minutes"] for s in summaries), 2)
    summary["steps"] = sum(s["steps"] for s in summaries)
    if _rank_zero():
        (out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    _leave_ranks()
    return summary


def _distributed():
    """torch.distributed when this process is one rank of several (``--strategy ddp`` under torchrun), else None."""
    import torch.distributed as dist

    return dist if dist.is_available() and dist.is_initialized() else None


def _rank_zero() -> bool:
    dist = _distributed()
    return dist is None or dist.get_rank() == 0


def _wait_for_ranks() -> None:
    """Under DDP, each rank waits here until all have arrived: rank 0 writes the weights, the others read them next."""
    if (dist := _distributed()) is not None:
        dist.barrier()


def _leave_ranks() -> None:
    """Under DDP, the ranks leave the process group together once everything is written, rather than each at its own
    interpreter exit (a CI run once saw rank 1 abort with SIGABRT; not reproduced in 51 runs here, cause unknown)."""
    if (dist := _distributed()) is not None:
        dist.barrier()
        dist.destroy_process_group()


def _copy_weights(src: Path, dst: Path) -> None:
    import shutil

    dst.mkdir(parents=True, exist_ok=True)
    for f in src.iterdir():
        shutil.copyfile(f, dst / f.name)


def _train_once(
    model: str,
    data,
    out: Path,
    config: dict,
    max_steps: int,
    max_epochs: int,
    batch_size: int,
    workers: int,
    accelerator: str,
    devices,
    strategy: str,
    progress: bool,
    seed: int,
    init: Path | None = None,
) -> dict:
    import lightning as L
    import torch
    from lightning.pytorch.callbacks import ModelCheckpoint
    from lightning.pytorch.loggers import CSVLogger
    from torch.utils.data import DataLoader

    from emohead.data.cache import Cache

    cache = Cache(data)
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
    net = net_cls.from_pretrained(init).train() if init is not None else net_cls(**net_cfg)
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
    _wait_for_ranks()
    return summary
