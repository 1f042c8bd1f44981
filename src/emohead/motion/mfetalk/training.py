"""Training MF-ETalk's motion diffusion: DDPM with the x0 objective, L = MSE(x0_pred, x0) on the standardised
motion, + ``consistency`` x the emotion-consistency loss (setting c): the frozen motion recogniser
(``emotion/recogniser``) reads the predicted x0's blendshapes and is asked, by cross-entropy, for the emotion
the row was made with. It is applied at steps t < ``consistency_max_t`` only, where x0 is predicted from a
motion that still shows something (at high noise the prediction is a blur whatever the loss). AdamW.

Data (:class:`MfetalkData`): 50-frame windows of every row of a cache split at a random start, with the 10
frames before the window as context half of the time (and always when at a clip's start there are none to
give: then no context), the MFCC windows, the row's emotion (label + the level's intensity; unlabelled real rows
are neutral at 0) and its AU proxies: the prototype's offset for that emotion and intensity, per frame, and the
identity's neutral state (the speaker's rest for real rows; the relaxed face for synthetic rows, which were
built on it). Motion = the 52 blendshapes + head pose relative to the clip's first frame.
"""

from __future__ import annotations

import random

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import Dataset

from emohead import dims
from emohead.data.cache import Cache
from emohead.data.datasets import speaker_rests
from emohead.emotion.prototypes import EXPRESSIVE, level_weight, load_prototypes
from emohead.emotion.vocabulary import EMOTIONS
from emohead.face import blendshapes as bs
from emohead.motion.animate import relative_pose
from emohead.motion.mfetalk.diffusion import Schedule
from emohead.motion.mfetalk.network import CHANNELS, CONTEXT, NULL, WINDOW
from emohead.motion.speech import CACHE_KEYS, cached_speech, check_batch_speech
from emohead.train.base import TrainingModule

NEUTRAL = EMOTIONS.index("neutral")


def row_emotion(row: dict) -> tuple[int, float]:
    """(label, intensity) a row was made with: synthetic rows their level's weight, real labelled rows 0.7 (a
    real acted clip without a level), unlabelled real rows neutral at 0."""
    if row["emotion"] not in EMOTIONS or row["emotion"] == "neutral":
        return NEUTRAL, 0.0
    return EMOTIONS.index(row["emotion"]), level_weight(int(row["intensity"] or 0) or None)


class MfetalkData(Dataset):
    def __init__(self, cache, split: str = "train", p_context: float = 0.5, seed: int = 0, speech: str = "mfcc"):
        cache = cache if isinstance(cache, Cache) else Cache(cache)
        everything = cache.index()
        rows = [r for r in everything if r["split"] == split]
        rests = speaker_rests(cache, [r for r in everything if r["speaker"] in {x["speaker"] for x in rows}])
        protos = load_prototypes()
        expressive = bs.indices(EXPRESSIVE)
        self.p_context, self.rng = p_context, random.Random(seed)
        self.clips = []
        for row in rows:
            a = cache.load(row["clip_id"], ["blendshapes", "pose", CACHE_KEYS[speech]])
            label, intensity = row_emotion(row)
            neutral = rests.get(row["speaker"], np.median(a["blendshapes"], 0)).copy()
            if row["synthetic"]:  # built on the relaxed face: its expressive channels were replaced (data.corpus)
                neutral[expressive] = protos.baseline[expressive]
            self.clips.append(
                {
                    "motion": np.concatenate([a["blendshapes"], relative_pose(a["pose"], a["pose"][0])], 1).astype(np.float32),
                    "audio": cached_speech(speech, a, row["clip_id"]),
                    "label": label,
                    "intensity": np.float32(intensity),
                    "au": protos.label_offset(EMOTIONS[label], intensity).astype(np.float32),
                    "neutral": neutral.astype(np.float32),
                }
            )

    def __len__(self) -> int:
        return len(self.clips)

    def channel_stats(self) -> tuple[np.ndarray, np.ndarray]:
        """Per-channel mean and std of the motion over every frame (the denoiser's standardisation)."""
        allm = np.concatenate([c["motion"] for c in self.clips])
        return allm.mean(0).astype(np.float32), np.maximum(allm.std(0), 1e-3).astype(np.float32)

    def __getitem__(self, i: int) -> dict:
        c = self.clips[i]
        n = len(c["motion"])
        s = self.rng.randrange(max(n - WINDOW, 0) + 1)
        valid = min(WINDOW, n - s)

        def cut(x):
            part = x[s : s + WINDOW]
            return np.concatenate([part, np.repeat(part[-1:], WINDOW - len(part), 0)]) if len(part) < WINDOW else part

        motion = cut(c["motion"])
        context = np.zeros((WINDOW, CHANNELS), np.float32)
        context_mask = np.zeros(WINDOW, np.float32)
        if s >= CONTEXT and self.rng.random() < self.p_context:  # the previous window's last frames overlap this one's first
            context[:CONTEXT] = motion[:CONTEXT]
            context_mask[:CONTEXT] = 1.0
        return {
            "motion": motion,
            "audio": cut(c["audio"]),
            "context": context,
            "context_mask": context_mask,
            "mask": (np.arange(WINDOW) < valid).astype(np.float32),
            "label": c["label"],
            "intensity": c["intensity"],
            "au_target": np.repeat(c["au"][None], WINDOW, 0),
            "au_neutral": c["neutral"],
        }


class MfetalkModule(TrainingModule):
    def __init__(
        self,
        net,
        lr: float = 5e-4,
        weight_decay: float = 1e-4,
        consistency: float = 0.0,
        consistency_max_t: int = 500,
        recogniser: str | None = None,
    ):
        super().__init__()
        self.net, self.lr, self.weight_decay = net, lr, weight_decay
        self.consistency, self.consistency_max_t = consistency, consistency_max_t
        self.schedule = Schedule()
        self.recogniser = None
        if consistency > 0:
            from emohead.emotion.recogniser import load_recogniser

            self.recogniser = load_recogniser(recogniser)
            for p in self.recogniser.parameters():
                p.requires_grad_(False)

    def on_train_start(self):
        """Standardisation from the training motion, once (a resumed or fine-tuned net keeps its own)."""
        if bool((self.net.std == 1).all()):
            mean, std = self.trainer.train_dataloader.dataset.channel_stats()
            self.net.mean.copy_(torch.from_numpy(mean))
            self.net.std.copy_(torch.from_numpy(std))

    def random_batch(self, batch_size: int) -> dict[str, torch.Tensor]:
        b = batch_size
        return {
            "motion": torch.rand(b, WINDOW, CHANNELS),
            "audio": torch.randn(b, WINDOW, self.net.audio.in_features),
            "context": torch.zeros(b, WINDOW, CHANNELS),
            "context_mask": torch.zeros(b, WINDOW),
            "mask": torch.ones(b, WINDOW),
            "label": torch.randint(0, dims.N_EMOTIONS, (b,)),
            "intensity": torch.rand(b),
            "au_target": torch.rand(b, WINDOW, dims.N_BLENDSHAPES) * 0.2,
            "au_neutral": torch.rand(b, dims.N_BLENDSHAPES) * 0.2,
        }

    def loss(self, batch, t: torch.Tensor | None = None):
        check_batch_speech(batch["audio"], self.net.speech)
        net = self.net
        x0 = net.normalise(batch["motion"])
        b = len(x0)
        t = torch.randint(0, self.schedule.steps, (b,), device=x0.device) if t is None else t
        noise = torch.randn_like(x0)
        x_t = self.schedule.q_sample(x0, t, noise)
        drop = torch.rand(b, device=x0.device) < net.p_uncond  # classifier-free guidance: the emotion left out
        label = torch.where(drop, torch.full_like(batch["label"], NULL), batch["label"])
        intensity = torch.where(drop, torch.zeros_like(batch["intensity"]), batch["intensity"])
        au_target = batch["au_target"] * (~drop).float()[:, None, None]
        context = net.normalise(batch["context"])
        pred = net(x_t, t, batch["audio"], context, batch["context_mask"], label, intensity, au_target, batch["au_neutral"])
        m = batch["mask"][..., None]
        parts = {"x0": (((pred - x0) ** 2) * m).sum() / (m.sum() * x0.shape[-1])}
        parts["emotion"] = torch.zeros((), device=x0.device)
        if self.recogniser is not None:
            use = (~drop) & (t < self.consistency_max_t)
            if use.any():
                w = net.denormalise(pred)[use][..., : dims.N_BLENDSHAPES].clamp(0, 1)
                parts["emotion"] = F.cross_entropy(self.recogniser(w, batch["mask"][use]), batch["label"][use])
        return parts["x0"] + self.consistency * parts["emotion"], parts

    def training_step(self, batch, _):
        loss, parts = self.loss(batch)
        self.log_dict({"train/loss": loss, **{f"train/{k}": v for k, v in parts.items()}}, prog_bar=True, batch_size=len(batch["motion"]))
        return loss

    def validation_step(self, batch, _):
        loss, parts = self.loss(batch)
        self.log_dict({"val/loss": loss, **{f"val/{k}": v for k, v in parts.items()}}, batch_size=len(batch["motion"]))

    def configure_optimizers(self):
        return torch.optim.AdamW(self.net.parameters(), lr=self.lr, weight_decay=self.weight_decay)
