"""MF-ETalk's three parts (Wang et al., Electronics 2025) on a diffusion model in motion space.

The paper animates pixels with Hallo (Stable Diffusion 1.5); neither trains nor runs on a 2-core CPU and no SD
weights ship offline, so the denoiser here works on motion windows: ``WINDOW`` frames of the 52 blendshapes (the
rig of ``motion/rig.py``) + 6 head-pose values relative to the portrait, standardised per channel.

- **Denoiser** (setting a, the baseline): a transformer encoder over the window's frames; input = the noisy
  motion, the previous window's last frames as context (zeros and a mask where there are none) and the frame's
  speech features (``motion.speech``: whisper's encoder states, as Hallo reads wav2vec2's, or the MFCC window),
  concatenated (early fusion); the diffusion step and the emotion (label
  embedding + intensity) are added to every token, as a plain conditional diffusion model does. It predicts
  the clean motion x0 (DDPM training; DDIM sampling in ``diffusion.py``).
- **MFDF** (setting b), two parts:
  - *AU-guided local expression decoupling with residual encoding*: the AU proxies the request asks for (the
    emotion prototype's offset per frame: FACS action units as blendshapes) and the identity's neutral state (the
    portrait's AU proxies) are split into four facial regions (brows, eyes, cheeks + nose, mouth); each region has
    its own encoder, which reads the region's target and its residual against the neutral state.
  - *Hierarchical fusion* of audio, AU and emotion features at three levels: early (the audio and the AU
    features joined with the motion at the input: frame-aligned, so timing comes first), middle (every other
    layer cross-attends to a memory of audio, AU and emotion tokens: the content is looked up where needed) and
    late (the emotion embedding modulates the last layers' normalisation, scale and shift: AdaLN, the global
    style last). The baseline's additive emotion embedding is kept in b.
- **Emotion-consistency loss** (setting c): in ``training.py``, a frozen emotion recogniser
  (``emotion/recogniser``) reads the predicted x0 and is asked for the requested emotion.

Classifier-free guidance: the emotion (label, intensity, AU features) is dropped to a null condition during
training with probability ``p_uncond``; the audio never is.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from emohead import dims
from emohead.face import blendshapes as bs
from emohead.motion.speech import SPEECH_DIMS, check_speech
from emohead.nn.base import ConfigModule
from emohead.nn.blocks import mlp

WINDOW = 50  # frames per denoised window (2 s)
CONTEXT = 10  # frames of the previous window given as context
CHANNELS = dims.N_BLENDSHAPES + dims.N_POSE
NULL = dims.N_EMOTIONS  # the label index of "no emotion" (classifier-free guidance)
REGIONS = {  # facial regions of the AU-guided decoupling, as blendshape channels (AU proxies)
    "brows": tuple(n for n in bs.NAMES if n.startswith("brow")),  # AU1, AU2, AU4
    "eyes": tuple(n for n in bs.NAMES if n.startswith(("eyeSquint", "eyeWide"))),  # AU5, AU7
    "cheeks": tuple(n for n in bs.NAMES if n.startswith(("cheek", "noseSneer"))),  # AU6, AU9
    "mouth": tuple(n for n in bs.NAMES if n.startswith(("mouthSmile", "mouthFrown", "mouthStretch", "mouthPress", "mouthDimple", "mouthShrug", "mouthRoll", "mouthUpper"))),  # AU10, 12, 14, 15, 17, 20, 23/24
}  # fmt: skip


def timestep_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal embedding of diffusion steps (B,) -> (B, dim)."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000) * torch.arange(half, device=t.device) / half)
    args = t.float()[:, None] * freqs[None]
    return torch.cat([torch.sin(args), torch.cos(args)], -1)


class AURegions(nn.Module):
    """AU-guided local expression decoupling with residual encoding: one encoder per region on
    cat(target AUs, target - neutral), joined -> (B, T, dim)."""

    def __init__(self, dim: int):
        super().__init__()
        self.index = {r: torch.as_tensor(bs.indices(names)) for r, names in REGIONS.items()}
        self.encoders = nn.ModuleDict({r: mlp([2 * len(names), dim // 2, dim // 4]) for r, names in REGIONS.items()})
        self.out = nn.Linear(len(REGIONS) * (dim // 4), dim)

    def forward(self, target: torch.Tensor, neutral: torch.Tensor) -> torch.Tensor:
        """target (B, T, 52) AU proxies asked for; neutral (B, 52) the identity's neutral state."""
        parts = []
        for r, enc in self.encoders.items():
            idx = self.index[r].to(target.device)
            tgt = target[..., idx]
            residual = tgt - neutral[:, None, idx]
            parts.append(enc(torch.cat([tgt, residual], -1)))
        return self.out(torch.cat(parts, -1))


class Layer(nn.Module):
    """Pre-norm transformer layer: self-attention, optional cross-attention to the condition memory, FFN; with
    AdaLN (scale and shift from the emotion) when ``modulated``; ``dropout`` on the attention weights and each
    branch's output in training (Vaswani et al.'s residual dropout)."""

    def __init__(self, dim: int, heads: int, cross: bool, modulated: bool, dropout: float = 0.0):
        super().__init__()
        self.norm1, self.norm3 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, heads, dropout=dropout, batch_first=True)
        self.cross = nn.MultiheadAttention(dim, heads, dropout=dropout, batch_first=True) if cross else None
        self.norm2 = nn.LayerNorm(dim) if cross else None
        self.ffn = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim), nn.Dropout(dropout))
        self.drop = nn.Dropout(dropout)
        self.mod = nn.Linear(dim, 2 * dim) if modulated else None

    def forward(self, x, memory=None, style=None):
        h = self.norm1(x)
        x = x + self.drop(self.attn(h, h, h, need_weights=False)[0])
        if self.cross is not None:
            x = x + self.drop(self.cross(self.norm2(x), memory, memory, need_weights=False)[0])
        h = self.norm3(x)
        if self.mod is not None:
            scale, shift = self.mod(style)[:, None].chunk(2, -1)
            h = h * (1 + scale) + shift
        return x + self.ffn(h)


class MFETalk(ConfigModule):
    def __init__(
        self,
        dim: int = 128,
        layers: int = 4,
        heads: int = 4,
        mfdf: bool = True,
        p_uncond: float = 0.1,
        speech: str = "mfcc",
        dropout: float = 0.0,
    ):
        super().__init__()
        self.mfdf, self.p_uncond, self.speech = mfdf, p_uncond, check_speech(speech)
        early = CHANNELS + CHANNELS + 1 + dim + (dim if mfdf else 0)  # x_t, context, context mask, audio, AU
        self.audio = nn.Linear(SPEECH_DIMS[speech], dim)
        self.input = nn.Linear(early, dim)
        self.position = nn.Parameter(torch.zeros(1, WINDOW, dim))
        self.time = mlp([dim, dim, dim], slope=None)
        self.label = nn.Embedding(dims.N_EMOTIONS + 1, dim)
        self.intensity = mlp([1, dim // 2, dim], slope=None)
        self.au = AURegions(dim) if mfdf else None
        self.layers = nn.ModuleList(
            Layer(dim, heads, cross=mfdf and i % 2 == 1, modulated=mfdf and i >= layers - 2, dropout=dropout) for i in range(layers)
        )
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, CHANNELS)
        self.register_buffer("mean", torch.zeros(CHANNELS))  # channel statistics of the training motion
        self.register_buffer("std", torch.ones(CHANNELS))

    def normalise(self, motion: torch.Tensor) -> torch.Tensor:
        return (motion - self.mean) / self.std

    def denormalise(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.std + self.mean

    def emotion(self, label: torch.Tensor, intensity: torch.Tensor) -> torch.Tensor:
        """(B,) label (NULL: none), (B,) intensity -> (B, dim)."""
        return self.label(label) + self.intensity(intensity[:, None]) * (label != NULL).float()[:, None]

    def forward(self, x_t, t, audio, context, context_mask, label, intensity, au_target, au_neutral):
        """x_t (B, W, C) noisy normalised motion; t (B,) steps; audio (B, W, speech features); context (B, W, C) normalised
        context values where ``context_mask`` (B, W) is 1; label (B,) with NULL for no emotion; intensity (B,);
        au_target (B, W, 52) AU proxies asked for (zeros for none); au_neutral (B, 52). -> predicted x0."""
        a = F.gelu(self.audio(audio))
        feats = [x_t, context * context_mask[..., None], context_mask[..., None], a]
        au = None
        if self.mfdf:
            au = self.au(au_target, au_neutral)
            feats.append(au)
        h = self.input(torch.cat(feats, -1)) + self.position[:, : x_t.shape[1]]
        emo = self.emotion(label, intensity)
        style = self.time(timestep_embedding(t, h.shape[-1])) + emo
        h = h + style[:, None]
        memory = torch.cat([a, au, emo[:, None]], 1) if self.mfdf else None
        for layer in self.layers:
            h = layer(h, memory, style)
        return self.head(self.norm(h))
