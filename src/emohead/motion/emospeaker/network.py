"""EmoSpeaker: one-shot fine-grained emotion intensity (Feng et al., "EmoSpeaker: One-shot Fine-grained Emotion-
Controlled Talking Face Generation", Sec. III, Figs. 2-3, Eqs. 2-8). Our offline substitutes
(``shared/design/papers.md``): the 52 ARKit blendshapes + 6 pose values stand in for the 3DMM coefficients and
MediaPipe's blendshapes for OpenFace's AUs:

- 3DMM ``exp`` (mouth, lip sync) -> the speech channels (``face.blendshapes.SPEECH_CHANNELS``, :data:`EXP`);
- 3DMM ``id``/``tex`` (what EmoNet predicts: the emotional expression) -> the other expressive channels (brows,
  lids, cheeks, nose, lip corners; :data:`EMO`);
- AUs for the decoupler -> the emotion-bearing AU proxies of ``emotion.prototypes`` (:data:`AU`: AU1, 2, 4, 5, 6, 7,
  9, 12, 14, 15, 17), measured on every real training frame. The speech AUs (10, 20, 23/24, 26) are left out: on
  our mostly neutral real speech they carry the lip motion, and pushing them out of the content code would push
  out the content itself;
- ``angle``/``trans`` -> head rotation, translation and scale, relative to the clip's first frame (:data:`N_POSE`).

Parts (symbols as in the paper):

- **Visual-attribute-guided audio decoupler** (Sec. III-B): three stacked audio encoders E_a^low, E_a^mid,
  E_a^high on each frame's speech features: the paper's MFCC window (28 x 12, the 10-frame window's audio), or, in
  the bundled weights, whisper's encoder states (``speech="whisper"``, ``motion.speech``: a deviation that lifted
  held-back lip sync from 0.420 to 0.654); one shared AU decoder D_au maps
  every level to AU features f_au^l (Eq. 2); the InfoNCE loss of Eq. 3 takes the measured AUs f_au as the
  anchor, the low level of the same frame as the positive and every level of the other K frames, plus the
  mid and high levels of the same frame, as negatives: AU (emotion-bearing) information is kept low and pushed
  out of the high level, which is the content vector.
- **ExpNet** (Eq. 4): content + reference mouth coefficients -> mouth coefficients, per frame.
- **EmoNet** (Eq. 5): content + emotion label e + intensity label p, over a sliding window seeded by the
  previous window's last coefficients (Fig. 3): a GRU whose state starts from the seed; out = seed + change.
- **C_e** (Eq. 6): emotion classifier on EmoNet's change over the window.
- **PoseNet** (Eq. 7): content + e + p over 20-frame windows seeded the same way -> pose.

Ablations (config switches): ``decoupler=False`` is the plain audio encoder (the same three stacked encoders,
no AU decoder, no contrastive loss: Table V's "without AU-based contrastive learning"); ``contrastive=False``
keeps the AU decoder but drops L_contras; ``classification=False`` drops C_e and L_cls.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from emohead import dims
from emohead.emotion.prototypes import EXPRESSIVE
from emohead.face import blendshapes as bs
from emohead.motion.speech import SPEECH_DIMS, check_speech
from emohead.nn.base import ConfigModule
from emohead.nn.blocks import mlp

EXP: tuple[str, ...] = bs.SPEECH_CHANNELS
EMO: tuple[str, ...] = tuple(n for n in EXPRESSIVE if n not in EXP)
AU: tuple[str, ...] = (
    "browInnerUp", "browOuterUpLeft", "browOuterUpRight", "browDownLeft", "browDownRight", "eyeWideLeft", "eyeWideRight",
    "cheekSquintLeft", "cheekSquintRight", "eyeSquintLeft", "eyeSquintRight", "noseSneerLeft", "noseSneerRight",
    "mouthSmileLeft", "mouthSmileRight", "mouthDimpleLeft", "mouthDimpleRight", "mouthFrownLeft", "mouthFrownRight", "mouthShrugLower",
)  # fmt: skip
N_POSE = 6  # d pitch, d yaw, d roll (rad), d tx, d ty (face widths), log scale ratio
N_LEVELS = 3


class TemporalBlock(nn.Module):
    """(B, T, C_in) -> (B, T, C_out): a 3-frame convolution and LeakyReLU."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.conv = nn.Conv1d(c_in, c_out, 3, padding=1)

    def forward(self, x):
        return F.leaky_relu(self.conv(x.transpose(1, 2)).transpose(1, 2), 0.2)


class SeededGRU(nn.Module):
    """A window of per-frame inputs + a seed (the previous window's last output) -> outputs = seed + change."""

    def __init__(self, n_in: int, n_out: int, hidden: int):
        super().__init__()
        self.init = nn.Linear(n_out, hidden)
        self.gru = nn.GRU(n_in + n_out, hidden, batch_first=True)
        self.out = nn.Linear(hidden, n_out)

    def forward(self, x, seed):
        t = x.shape[1]
        h0 = torch.tanh(self.init(seed))[None]
        h, _ = self.gru(torch.cat([x, seed[:, None].expand(-1, t, -1)], -1), h0.contiguous())
        return seed[:, None] + self.out(h)


class EmoSpeaker(ConfigModule):
    """See the module doc. Inputs: speech (B, T, ...) features (``motion.speech``: the MFCC window (B, T, 28, 12) as in
    the paper, or whisper's encoder states); emotion (B,) index into EMOTIONS; level (B,) 1-3."""

    def __init__(
        self,
        hidden: int = 128,
        au_hidden: int = 64,
        emo_hidden: int = 128,
        pose_hidden: int = 64,
        decoupler: bool = True,
        contrastive: bool = True,
        classification: bool = True,
        tau: float = 0.1,
        speech: str = "mfcc",
    ):
        super().__init__()
        self.speech = check_speech(speech)
        self.decoupler, self.contrastive, self.classification, self.tau = decoupler, contrastive and decoupler, classification, tau
        self.low, self.mid, self.high = (
            TemporalBlock(SPEECH_DIMS[speech], hidden),
            TemporalBlock(hidden, hidden),
            TemporalBlock(hidden, hidden),
        )
        if decoupler:
            self.au_decoder = mlp([hidden, au_hidden, len(AU)])
        cond = hidden + dims.N_EMOTIONS + N_LEVELS
        self.exp_net = mlp([hidden + len(EXP), hidden, hidden, len(EXP)])
        self.emo_net = SeededGRU(cond, len(EMO), emo_hidden)
        if classification:
            self.classifier = mlp([len(EMO), 64, dims.N_EMOTIONS])
        self.pose_net = SeededGRU(cond, N_POSE, pose_hidden)

    # -- the decoupler -----------------------------------------------------------------------------------------
    def encode(self, speech):
        """-> content (B, T, H) and the three levels {low, mid, high}."""
        b, t = speech.shape[:2]
        low = self.low(speech.reshape(b, t, -1))
        mid = self.mid(low)
        high = self.high(mid)
        return high, {"low": low, "mid": mid, "high": high}

    def au_features(self, levels: dict) -> dict:
        """Eq. 2: f_au^l = D_au(E_a^l(a_t)) for each level (decoupler only)."""
        return {name: self.au_decoder(h) for name, h in levels.items()}

    def contrastive_loss(self, au_pred: dict, au_true, mask, k: int = 64) -> torch.Tensor:
        """Eq. 3 (InfoNCE) over K frames drawn from the batch: anchor = measured AUs (centred on the batch mean),
        positive = the same frame's low-level AU features, negatives = every level of the other frames and the
        mid/high levels of the same frame. Cosine similarity, temperature tau."""
        flat = mask.reshape(-1) > 0
        anchor = au_true.reshape(-1, au_true.shape[-1])[flat]
        preds = [au_pred[n].reshape(-1, au_true.shape[-1])[flat] for n in ("low", "mid", "high")]
        if len(anchor) > k:
            pick = torch.randperm(len(anchor), device=anchor.device)[:k]
            anchor, preds = anchor[pick], [p[pick] for p in preds]
        centre = anchor.mean(0, keepdim=True)
        a = F.normalize(anchor - centre, dim=-1)
        sims = torch.cat([F.normalize(p - centre, dim=-1) @ a.T for p in preds], 0) / self.tau  # (3K, K): level-frame i vs anchor j
        return F.cross_entropy(sims.T, torch.arange(len(a), device=a.device))  # target: the low level of the same frame

    # -- the coefficient networks --------------------------------------------------------------------------------
    @staticmethod
    def condition(content, emotion, level):
        t = content.shape[1]
        e = F.one_hot(emotion.clamp(min=0), dims.N_EMOTIONS).float()
        p = F.one_hot((level - 1).clamp(0, N_LEVELS - 1), N_LEVELS).float()
        return torch.cat([content, e[:, None].expand(-1, t, -1), p[:, None].expand(-1, t, -1)], -1)

    def expression(self, content, ref_exp):
        """ExpNet (Eq. 4): (B, T, H), (B, |EXP|) -> mouth coefficients (B, T, |EXP|)."""
        return self.exp_net(torch.cat([content, ref_exp[:, None].expand(-1, content.shape[1], -1)], -1))

    def emotion_window(self, content, seed, emotion, level):
        """EmoNet (Eq. 5) over one window: -> (B, W, |EMO|), starting from ``seed`` (B, |EMO|)."""
        return self.emo_net(self.condition(content, emotion, level), seed)

    def pose_window(self, content, seed, emotion, level):
        """PoseNet (Eq. 7) over one window: -> (B, W, 6) pose relative to the clip's first frame."""
        return self.pose_net(self.condition(content, emotion, level), seed)

    def classify(self, emo, seed):
        """C_e (Eq. 6) on the window's change of the emotion coefficients -> logits (B, 8)."""
        return self.classifier((emo - seed[:, None]).mean(1))

    def forward(self, speech, ref_exp, seed_emo, seed_pose, emotion, level, window: int = 5, pose_window: int = 20):
        """Training-time pass over (B, T) frames: EmoNet in windows of ``window`` frames and PoseNet in windows of
        ``pose_window``, the first seeded with ``seed_emo`` / ``seed_pose`` and each later one with the net's own
        last frame, exactly as at inference. -> dict(exp, emo, pose, levels, content)."""
        content, levels = self.encode(speech)
        return {
            "exp": self.expression(content, ref_exp),
            "emo": _chained(self.emotion_window, content, seed_emo, emotion, level, window),
            "pose": _chained(self.pose_window, content, seed_pose, emotion, level, pose_window),
            "levels": levels,
            "content": content,
        }


def _chained(step, content, seed, emotion, level, window: int):
    """Run ``step`` over consecutive windows, each seeded with the previous window's last output (Fig. 3)."""
    parts = []
    for s in range(0, content.shape[1], window):
        part = step(content[:, s : s + window], seed, emotion, level)
        parts.append(part)
        seed = part[:, -1]
    return torch.cat(parts, 1)
