"""Training EAPC: 25-frame windows from a feature cache; L = L_mse + L_lmd (Eq. 13) + the LLF encoder's
emotion cross-entropy on labelled real clips; Adam 1e-4."""

from __future__ import annotations

import torch
from torch.utils.data import Dataset

from emohead import dims
from emohead.audio.features import vtlp_cepstral_matrix
from emohead.data.datasets import WindowDataset
from emohead.errors import EmoheadError
from emohead.motion.speech import CACHE_KEYS, SPEECH_DIMS, check_batch_speech, check_cached_speech, check_speech
from emohead.nn.losses import pairwise_structure_loss
from emohead.train.base import TrainingModule


class EapcData(Dataset):
    """25-frame windows: speech (``speech`` features), llf, 2D landmarks, reference landmarks (the clip's first frame), labels."""

    def __init__(self, cache, split="train", window=25, speech: str = "mfcc"):
        self.key = CACHE_KEYS[check_speech(speech)]
        self.windows = WindowDataset(cache, window=window, split=split, fields=(self.key, "llf", "lm68"), reference_fields=("lm68",))
        check_cached_speech(speech, self.windows.cache, self.windows.rows)

    def __len__(self):
        return len(self.windows)

    def __getitem__(self, i):
        it = self.windows[i]
        return {
            "speech": it[self.key],
            "llf": it["llf"],
            "lm": it["lm68"][..., :2].reshape(len(it["lm68"]), -1),
            "ref": it["ref_lm68"][:, :2].reshape(-1),
            "mask": it["mask"],
            "emotion": it["emotion"],
            "intensity": it["intensity"],
            "synthetic": it["synthetic"],
        }


def label_emotion(emotion: torch.Tensor, intensity: torch.Tensor) -> torch.Tensor:
    """(B,) label index (-1 unknown) and level (0 unknown) -> (B, 8) X_emotion as inference gives it for a label:
    one-hot at the level's prototype weight (``emotion.prototypes.level_weight``)."""
    from emohead.emotion.prototypes import level_weight

    out = torch.zeros(len(emotion), dims.N_EMOTIONS, device=emotion.device)
    for i, (e, level) in enumerate(zip(emotion.tolist(), intensity.tolist())):
        if e >= 0:
            out[i, e] = level_weight(int(level) or None)
    return out


class EapcModule(TrainingModule):
    """L = L_mse + L_lmd (EAPC Eq. 13) + cross-entropy of the LLF encoder on labelled real clips. Adam 1e-4.

    X_emotion: a row whose label is known gets the label (one-hot at its level, exactly what a user's label
    gives at inference: the paper's emotion control), the others the LLF encoder's reading of the voice.
    Without this the emotion input only ever saw the voice, and synthetic rows (a real lip track with a new
    expression but the source clip's neutral voice) taught the network to ignore it: a label changed nothing.

    ``vtlp`` > 0 (MFCC input only): each training window's voice is warped to a random vocal tract length, the
    warp factor drawn uniformly from [1 - vtlp, 1 + vtlp] (VTLP, Jaitly & Hinton 2013, applied to the cached
    cepstra as a linear map: ``audio.features.vtlp_cepstral_matrix``), so that 50 minutes of one speaker teach
    less of that speaker's formants. Validation windows are not warped. Tried and not bundled
    (``configs/eapc_vtlp.json``; weights README, "eapc with a vocal tract length warp ...")."""

    def __init__(self, net, lr: float = 1e-4, emotion_weight: float = 1.0, vtlp: float = 0.0):
        super().__init__()
        if not 0.0 <= vtlp < 0.5:
            raise EmoheadError(
                f"train.vtlp {vtlp}: give the largest warp of the vocal tract length, from 0 (none) to below 0.5 (0.1 is usual)"
            )
        if vtlp and net.speech != "mfcc":
            raise EmoheadError(f'train.vtlp warps MFCC cepstra; this network reads {net.speech} states: set vtlp to 0 or speech to "mfcc"')
        self.net, self.lr, self.emotion_weight, self.vtlp = net, lr, emotion_weight, vtlp

    def warped(self, speech: torch.Tensor) -> torch.Tensor:
        """(B, T, ..., 12 x k) MFCC windows, each row's voice warped by its own random VTLP factor."""
        alphas = 1.0 + self.vtlp * (2.0 * torch.rand(len(speech)) - 1.0)
        mats = torch.stack([torch.from_numpy(vtlp_cepstral_matrix(round(float(a), 3))) for a in alphas]).to(speech)
        n = mats.shape[-1]
        cepstra = speech.reshape(len(speech), -1, n)  # rows of c1..c12
        return torch.bmm(cepstra, mats).reshape(speech.shape)

    def random_batch(self, batch_size: int, window: int = 25) -> dict[str, torch.Tensor]:
        b, t = batch_size, window
        return {
            "speech": torch.randn(b, t, SPEECH_DIMS[self.net.speech]),
            "llf": torch.randn(b, t, dims.N_LLF),
            "lm": torch.randn(b, t, dims.LM68_2D),
            "ref": torch.randn(b, dims.LM68_2D),
            "mask": torch.ones(b, t),
            "emotion": torch.randint(0, dims.N_EMOTIONS, (b,)),
            "intensity": torch.randint(1, 4, (b,)),
            "synthetic": torch.zeros(b),
        }

    def loss(self, batch):
        check_batch_speech(batch["speech"].flatten(2), self.net.speech)
        speech = self.warped(batch["speech"]) if self.vtlp and self.training else batch["speech"]
        t = batch["llf"].shape[1]
        voice = torch.softmax(self.net.llf_encoder(batch["llf"]), -1)
        labelled = (batch["emotion"] >= 0)[:, None, None]
        x_emotion = torch.where(labelled, label_emotion(batch["emotion"], batch["intensity"])[:, None].expand(-1, t, -1), voice)
        pred, logits = self.net(speech, batch["llf"], batch["ref"], x_emotion)
        m = batch["mask"][..., None]
        mse = (((pred - batch["lm"]) ** 2) * m).sum() / (m.sum() * pred.shape[-1])
        b = pred.shape[0]
        lmd = pairwise_structure_loss(pred.reshape(b * t, dims.N_LM68, 2), batch["lm"].reshape(b * t, dims.N_LM68, 2))
        known = (batch["emotion"] >= 0) & (batch["synthetic"] == 0)  # synthetic rows keep the source clip's voice
        ce = torch.zeros((), device=pred.device)
        if known.any():
            target = batch["emotion"][known][:, None].expand(-1, t).reshape(-1)
            ce = torch.nn.functional.cross_entropy(logits[known].reshape(-1, logits.shape[-1]), target)
        return mse + lmd + self.emotion_weight * ce, {"mse": mse, "lmd": lmd, "ce": ce}

    def training_step(self, batch, _):
        loss, parts = self.loss(batch)
        self.log_dict({"train/loss": loss, **{f"train/{k}": v for k, v in parts.items()}}, prog_bar=True, batch_size=len(batch["lm"]))
        return loss

    def validation_step(self, batch, _):
        loss, _ = self.loss(batch)
        self.log("val/loss", loss, prog_bar=True, batch_size=len(batch["lm"]))

    def configure_optimizers(self):
        return torch.optim.Adam(self.net.parameters(), lr=self.lr)
