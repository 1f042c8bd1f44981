"""Training MEDTalk in the paper's order (Sec. 4.1), one stage per run of ``emohead train medtalk --stage S``
(or all four in order): each stage starts from the previous stage's weights and trains only its own parts.

1. ``autoencoder``: E_e, E_c, D. Phases in order (``phases``: the steps where each next one joins):
   self-reconstruction (Eq. 2); + overlap exchange (Eq. 3: content pairs = the same real lip track with two
   emotions, which the corpus's synthetic rows are; emotion pairs = two sentences with the same emotion and
   level); + cycle exchange (Eq. 4, two arbitrary rows). Plain MSE sums, as in the authors' code.
2. ``content``: ACM, against the frozen autoencoder: MSE(D(E_e(R), ACM(A)), R) + 0.1 (1 - cos(E_c(R), ACM(A))) (Eq. 7).
3. ``intensity``: FIM, the label embedding and E_fuse: MSE of the decoded motion + 0.1 (1 - cos(E_e(R),
   E_fuse(f))) (Eq. 10) + 0.1 MSE of the predicted intensity against Eq. 8's (Eq. 11, on the FIM's output).
   Two deviations, both because a synthetic row's level is not in its voice (it shares the real clip's audio):
   the label direction is scaled by the *target* intensity in the motion and similarity terms (the paper
   scales it by the prediction, which here would teach E_fuse only the average level and leave
   ``--intensity`` without a calibrated range), and the intensity term counts real rows only, where the voice
   and the face were recorded together (trained on every row, the FIM learnt the mean level and its
   prediction did not correlate with the target on held-back clips: r = -0.0004; weights README).
4. ``guidance``: P_text, P_image and their strength heads; E_fuse stays frozen (the paper tunes it too), so
   label guidance is unchanged by this stage. Loss: motion MSE + 0.1 (1 - cos) (Eq. 13-14) + 0.1 MSE of the
   strength against the level the row was made at.

Every stage uses Adam at its ``lr`` with StepLR (gamma 0.1 every ``step_size`` steps), as the paper.

Data (:class:`MedtalkData`): windows of ``window`` frames of every row in a feature cache split, each with its
content partner, emotion partner and a random other row; everything is loaded into memory once (the corpus's
2600 rows take about 300 MB). Unlabelled real rows (GRID) are neutral speech.
"""

from __future__ import annotations

import random
from collections import defaultdict
from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import Dataset

from emohead import dims
from emohead.data.cache import Cache
from emohead.data.datasets import emotion_index, speaker_rests
from emohead.emotion.prototypes import level_weight, load_prototypes
from emohead.emotion.vocabulary import EMOTIONS
from emohead.motion.medtalk import rig as R
from emohead.motion.medtalk.descriptions import description_set
from emohead.motion.medtalk.network import VOICE_DIM
from emohead.motion.speech import CACHE_KEYS, cached_speech, check_batch_speech
from emohead.train.base import TrainingModule

STAGES = ("autoencoder", "content", "intensity", "guidance")
NEUTRAL = EMOTIONS.index("neutral")
TRAINED = {  # stage -> the parts it trains (the rest is frozen)
    "autoencoder": ("enc_emotion", "enc_content", "decoder"),
    "content": ("acm_in", "acm_conv", "acm_out"),
    "intensity": ("label", "label_mlp", "fim", "fuse"),
    "guidance": ("proj", "strength"),
}
LAMBDA_SIM = LAMBDA_INT = 0.1


def row_label(row: dict) -> tuple[int, int]:
    """(emotion index, level 1-3): unlabelled real rows are neutral; a real label without a level counts as 2."""
    return emotion_index(row), int(row["intensity"] or 0) or 2


def strength_target(emotion: int, level: int) -> float:
    """The intensity a description or reference of this emotion and level shows (neutral: none)."""
    return 0.0 if emotion == NEUTRAL else level_weight(level)


class MedtalkData(Dataset):
    """Windows of every row of a cache split; see the module doc. Items: rig / audio / voice / intensity / mask of
    the row, ``rig_c`` (content partner), ``rig_e`` (emotion partner), ``rig_o`` (other), ``mask_e`` / ``mask_o``,
    ``tokens`` + ``token_mask`` (the transcript's MiniLM tokens), ``text`` (a training description's sentence
    embedding), ``image`` (the emotion partner's apex expression), ``strength``, ``emotion``."""

    def __init__(
        self,
        cache,
        split: str = "train",
        window: int = 50,
        descriptions_per_cell: int = 12,
        seed: int = 0,
        hold_back=(),
        speech: str = "mfcc",
    ):
        root = str(cache.root if isinstance(cache, Cache) else Cache(cache).root)
        self.__dict__.update(_prepared(root, split, tuple(hold_back), descriptions_per_cell, seed, speech))
        self.window, self.rng = window, random.Random(seed)
        self.items = [(i, s) for i, c in enumerate(self.clips) for s in range(0, max(len(c["rig"]) - window, 0) + 1, window)]

    def __len__(self) -> int:
        return len(self.items)

    def _cut(self, array: np.ndarray, start: int) -> tuple[np.ndarray, np.ndarray]:
        part = array[start : start + self.window]
        valid = len(part)
        if valid < self.window:
            part = np.concatenate([part, np.repeat(part[-1:], self.window - valid, 0)])
        return part, (np.arange(self.window) < valid).astype(np.float32)

    def _random_window(self, j: int) -> tuple[np.ndarray, np.ndarray]:
        n = len(self.clips[j]["rig"])
        return self._cut(self.clips[j]["rig"], self.rng.randrange(max(n - self.window, 0) + 1))

    def __getitem__(self, k: int) -> dict:
        from emohead.text.minilm import DIM, MAX_TOKENS

        i, s = self.items[k]
        c = self.clips[i]
        out = {}
        for key in ("rig", "audio", "voice", "intensity"):
            out[key], out["mask"] = self._cut(c[key], s)
        partners = self.content_partners[i]
        out["rig_c"] = self._cut(self.clips[self.rng.choice(partners)]["rig"], s)[0] if partners else out["rig"]
        e = self.rng.choice(self.emotion_partners[i]) if self.emotion_partners[i] else i
        out["rig_e"], out["mask_e"] = self._random_window(e)
        out["rig_o"], out["mask_o"] = self._random_window(self.rng.randrange(len(self.clips)))
        partner = self.clips[e]
        apex = partner["rig"][int(np.argmax(partner["intensity"]))]
        out["image"] = R.image_offset(apex)
        tokens = self.tokens[c["transcript"]]
        out["tokens"] = np.zeros((MAX_TOKENS, DIM), np.float32)
        out["tokens"][: len(tokens)] = tokens
        out["token_mask"] = np.arange(MAX_TOKENS) < len(tokens)
        cell = (c["emotion"], c["level"] if c["emotion"] != NEUTRAL else 1)
        out["text"] = self.rng.choice(self.descriptions[cell]) if self.descriptions.get(cell) else np.zeros(DIM, np.float32)
        out["strength"] = np.float32(strength_target(c["emotion"], c["level"]))
        out["emotion"] = c["emotion"]
        out["synthetic"] = np.float32(c["synthetic"])
        return out


@lru_cache(maxsize=2)
def _prepared(root: str, split: str, hold_back: tuple, descriptions_per_cell: int, seed: int, speech: str) -> dict:
    """A split's clips, transcript tokens, partners and descriptions, read once per process: every stage of a
    staged run builds its dataset again, and this is the slow part (about 14 s for the corpus's train split)."""
    from emohead.text import minilm

    cache = Cache(root)
    everything = cache.index()
    # hold_back: real clips (and the synthetic rows made from them) kept out of this run beside the cache's test
    # split, e.g. a real emotional clip to judge the FIM on (the corpus's held-back speakers are all neutral)
    rows = [r for r in everything if r["split"] == split and (r.get("source_clip") or r["clip_id"]) not in set(hold_back)]
    rests = speaker_rests(cache, [r for r in everything if r["speaker"] in {x["speaker"] for x in rows}])
    baseline = load_prototypes().baseline
    clips = []
    for row in rows:
        a = cache.load(row["clip_id"], ["blendshapes", CACHE_KEYS[speech], "llf", "energy_db"])
        # synthetic rows already sit on the relaxed face (data.corpus.synthesize): nothing to move
        rest = baseline if row["synthetic"] else rests.get(row["speaker"])
        rest = np.median(a["blendshapes"], 0) if rest is None else rest
        emotion, level = row_label(row)
        rig = R.to_rig(a["blendshapes"], rest)
        clips.append(
            {
                "rig": rig,
                "audio": cached_speech(speech, a, row["clip_id"]),
                "voice": R.voice_input(a["llf"], a["energy_db"]),
                "intensity": R.intensity(rig, emotion),
                "emotion": emotion,
                "level": level,
                "source": row.get("source_clip") or row["clip_id"],
                "synthetic": bool(row["synthetic"]),
                "transcript": row.get("transcript") or "",
            }
        )
    by_source, by_cell = defaultdict(list), defaultdict(list)
    for i, c in enumerate(clips):
        by_source[c["source"]].append(i)
        by_cell[(c["emotion"], c["level"])].append(i)
    cells = sorted({(c["emotion"], c["level"]) for c in clips})
    texts = description_set([EMOTIONS[e] for e in sorted({e for e, _ in cells})], per_cell=descriptions_per_cell, seed=seed)
    embeddings = minilm.sentence_embeddings([t for t, _, _ in texts]) if texts else np.zeros((0, minilm.DIM), np.float32)
    descriptions = defaultdict(list)
    for (_, emotion, level), e in zip(texts, embeddings):
        descriptions[(EMOTIONS.index(emotion), level if emotion != "neutral" else 1)].append(e)
    return {
        "clips": clips,
        "tokens": {t: minilm.token_embeddings(t) for t in {c["transcript"] for c in clips}},
        "content_partners": [[j for j in by_source[c["source"]] if j != i] for i, c in enumerate(clips)],
        "emotion_partners": [[j for j in by_cell[(c["emotion"], c["level"])] if clips[j]["source"] != c["source"]] for c in clips],
        "descriptions": descriptions,
    }


class MedtalkModule(TrainingModule):
    """One stage of MEDTalk's training (module doc); ``stage`` comes from ``emohead train --stage``."""

    def __init__(self, net, stage: str = "autoencoder", lr: float = 1e-4, step_size: int = 100000, phases=(300, 600)):
        super().__init__()
        if stage not in STAGES:
            raise ValueError(f"unknown MEDTalk stage {stage!r}; one of {', '.join(STAGES)}")
        self.net, self.stage, self.lr, self.step_size, self.phases = net, stage, lr, step_size, tuple(phases)
        for name, p in net.named_parameters():
            p.requires_grad_(name.split(".")[0] in TRAINED[stage])

    def random_batch(self, batch_size: int, frames: int = 50) -> dict[str, torch.Tensor]:
        from emohead.text.minilm import DIM

        b, t = batch_size, frames
        rig = lambda: torch.rand(b, t, dims.N_BLENDSHAPES)  # noqa: E731
        return {
            "rig": rig(),
            "rig_c": rig(),
            "rig_e": rig(),
            "rig_o": rig(),
            "audio": torch.randn(b, t, self.net.acm_in.in_features),
            "voice": torch.randn(b, t, VOICE_DIM),
            "intensity": torch.rand(b, t),
            "mask": torch.ones(b, t),
            "mask_e": torch.ones(b, t),
            "mask_o": torch.ones(b, t),
            "tokens": torch.randn(b, 12, DIM),
            "token_mask": torch.ones(b, 12, dtype=torch.bool),
            "text": F.normalize(torch.randn(b, DIM), dim=-1),
            "image": torch.randn(b, dims.N_BLENDSHAPES) * 0.1,
            "strength": torch.rand(b),
            "emotion": torch.randint(0, dims.N_EMOTIONS, (b,)),
            "synthetic": (torch.arange(b) % 2).float(),
        }

    def phase(self) -> int:
        """Autoencoder phase at the current step: 1 reconstruction, 2 + overlap exchange, 3 + cycle exchange."""
        step = self.global_step if self._trainer is not None else 10**9
        return 1 + sum(step >= p for p in self.phases)

    def loss(self, batch):
        check_batch_speech(batch["audio"], self.net.speech)
        return getattr(self, f"_{self.stage}_loss")(batch)

    @staticmethod
    def _mse(pred, true, mask):
        m = mask[..., None]
        return (((pred - true) ** 2) * m).sum() / (m.sum() * pred.shape[-1]).clamp(min=1)

    @staticmethod
    def _cos(a, b, mask):
        return ((1 - F.cosine_similarity(a, b, dim=-1)) * mask).sum() / mask.sum().clamp(min=1)

    def _autoencoder_loss(self, batch):
        net, mse = self.net, self._mse
        r1, m = batch["rig"], batch["mask"]
        e1, c1 = net.encode(r1)
        parts = {"recon": mse(net.decode(e1, c1), r1, m)}
        phase = self.phase()
        zero = torch.zeros((), device=r1.device)
        parts["content_x"] = parts["emotion_x"] = parts["cycle"] = zero
        if phase >= 2:  # overlap exchange: same content (synthetic twin), same emotion (another sentence)
            ec, cc = net.encode(batch["rig_c"])
            parts["content_x"] = mse(net.decode(e1, cc), r1, m) + mse(net.decode(ec, c1), batch["rig_c"], m)
            ee, ce = net.encode(batch["rig_e"])
            me = m * batch["mask_e"]
            parts["emotion_x"] = mse(net.decode(ee, c1), r1, me) + mse(net.decode(e1, ce), batch["rig_e"], me)
        if phase >= 3:  # cycle exchange with an arbitrary row
            r2, mo = batch["rig_o"], m * batch["mask_o"]
            e2, c2 = net.encode(r2)
            x12, x21 = net.decode(e1, c2), net.decode(e2, c1)
            (ea, ca), (eb, cb) = net.encode(x12), net.encode(x21)
            parts["cycle"] = mse(net.decode(ea, cb), r1, mo) + mse(net.decode(eb, ca), r2, mo)
        return sum(parts.values()), parts

    def _content_loss(self, batch):
        net, r, m = self.net, batch["rig"], batch["mask"]
        with torch.no_grad():
            e, c = net.encode(r)
        pred = net.content(batch["audio"])
        parts = {"recon": self._mse(net.decode(e, pred), r, m), "sim": self._cos(pred, c, m)}
        return parts["recon"] + LAMBDA_SIM * parts["sim"], parts

    def _emotion_terms(self, batch, direction, intensity):
        """Motion MSE and (1 - cos) of the emotion code from ``direction`` x ``intensity`` with ACM's content."""
        net, r, m = self.net, batch["rig"], batch["mask"]
        with torch.no_grad():
            e_true, _ = net.encode(r)
            content = net.content(batch["audio"])
        code = net.emotion_code(direction, intensity)
        return self._mse(net.decode(code, content), r, m), self._cos(code, e_true, m)

    def _intensity_loss(self, batch):
        net, m = self.net, batch["mask"]
        recon, sim = self._emotion_terms(batch, net.label_direction(batch["emotion"]), batch["intensity"])
        pred = net.intensity(batch["voice"], batch["tokens"], batch["token_mask"])
        m = m * (1 - batch["synthetic"])[:, None]  # only where voice and face were recorded together (module doc)
        parts = {"recon": recon, "sim": sim, "int": ((pred - batch["intensity"]) ** 2 * m).sum() / m.sum().clamp(min=1)}
        return recon + LAMBDA_SIM * sim + LAMBDA_INT * parts["int"], parts

    def _guidance_loss(self, batch):
        net, parts, total = self.net, {}, 0.0
        for kind in ("text", "image"):
            x = batch[kind]
            recon, sim = self._emotion_terms(batch, net.guide_direction(kind, x), batch["intensity"])
            strength = F.mse_loss(net.guide_strength(kind, x), batch["strength"])
            parts |= {f"{kind}_recon": recon, f"{kind}_sim": sim, f"{kind}_strength": strength}
            total = total + recon + LAMBDA_SIM * sim + LAMBDA_INT * strength
        return total, parts

    def training_step(self, batch, _):
        loss, parts = self.loss(batch)
        self.log_dict({"train/loss": loss, **{f"train/{k}": v for k, v in parts.items()}}, prog_bar=True, batch_size=len(batch["rig"]))
        return loss

    def validation_step(self, batch, _):
        loss, parts = self.loss(batch)
        self.log_dict({"val/loss": loss, **{f"val/{k}": v for k, v in parts.items()}}, batch_size=len(batch["rig"]))

    def configure_optimizers(self):
        params = [p for p in self.net.parameters() if p.requires_grad]
        opt = torch.optim.Adam(params, lr=self.lr)
        return {
            "optimizer": opt,
            "lr_scheduler": {"scheduler": torch.optim.lr_scheduler.StepLR(opt, self.step_size, 0.1), "interval": "step"},
        }

    def bench_optimizers(self):
        return [self.configure_optimizers()["optimizer"]]
