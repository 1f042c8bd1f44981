"""Mul2Lm: multimodal (audio + transcript + emotional portrait) to landmarks.

"Multimodal emotion-controlled talking face landmarks" (mul2lm + lm2vid, EAI 2025), Sec. 3. Symbols as
in the paper:

- audio encoder: MFCC (T, 40) -> LSTM -> (T, 256);
- text encoder: frame-aligned linguistic features (T, 227; ``text.features``, our stand-in for Merlin's
  425) merged linearly with the audio code, then a transformer encoder (self-attention) -> F_l (T, 256);
- identity encoder E_id: 5 FC layers 204 -> 256 (LeakyReLU 0.2) on the target's neutral 68x3 landmarks;
- emotion encoder E_emo: the same shape, on the emotional portrait's 68x3 landmarks (per frame, so the
  emotion may change over time); with ``relative_emotion`` (our configs), on the emotional portrait's
  displacement from P_id in 1/``emotion_scale`` eye-distances instead (see :class:`Mul2Lm`);
- decoder: concat (T, 768) -> FC 768-512-256-256-256-204 -> offsets dP; Q = dP + P_id.
Ablations (the paper's Table 2): ``use_emotion=False`` is the audio-text variant (no emotion encoder),
``use_text=False`` the audio-emotion variant (no text). Landmarks are canonical (pose-free; outer eye
corners 1 apart) instead of the paper's pixel landmarks; losses and discriminators live in
``emohead.nn`` and ``emohead.train``.
"""

from __future__ import annotations

import torch
from torch import nn

from emohead import dims
from emohead.nn.base import ConfigModule
from emohead.nn.blocks import mlp
from emohead.text.features import TEXT_DIM


class Mul2Lm(ConfigModule):
    """mfcc (B, T, 40), text (B, T, 227), p_id (B, 204), p_emo (B, T, 204) -> Q (B, T, 204).

    ``relative_emotion``: E_emo reads (P_emo - P_id) * ``emotion_scale`` rather than P_emo. In canonical landmarks
    an emotion moves a brow by 0.01-0.05 eye-distances while two identities differ by far more, and the
    absolute encoder, trained on the enlarged corpus, learnt only the largest emotions: its landmarks reproduced
    the happy and surprise displacement of the emotional portrait, and 8-16 % of the sad mouth corners and the
    angry and disgusted brows (weights README, "Fitting landmarks, and mul2lm's emotion encoder"). Without a
    request P_emo = P_id, so the input is zero."""

    def __init__(
        self,
        n_mfcc: int = dims.N_MFCC,
        text_dim: int = TEXT_DIM,
        hidden: int = 256,
        heads: int = 4,
        layers: int = 2,
        use_text: bool = True,
        use_emotion: bool = True,
        relative_emotion: bool = False,
        emotion_scale: float = 50.0,
    ):
        super().__init__()
        self.use_text, self.use_emotion = use_text, use_emotion
        self.relative_emotion, self.emotion_scale = relative_emotion, emotion_scale
        self.audio_lstm = nn.LSTM(n_mfcc, hidden, batch_first=True)
        self.merge = nn.Linear(hidden + (text_dim if use_text else 0), hidden)
        block = nn.TransformerEncoderLayer(hidden, heads, dim_feedforward=2 * hidden, dropout=0.1, batch_first=True)
        self.text_encoder = nn.TransformerEncoder(block, layers)
        self.identity_encoder = mlp([dims.LM68_3D] + [hidden] * 5, last_activation=True)
        self.emotion_encoder = mlp([dims.LM68_3D] + [hidden] * 5, last_activation=True) if use_emotion else None
        self.decoder = mlp([3 * hidden if use_emotion else 2 * hidden, 512, 256, 256, 256, dims.LM68_3D])

    def forward(self, mfcc, text, p_id, p_emo=None):
        a, _ = self.audio_lstm(mfcc)
        f_l = self.text_encoder(self.merge(torch.cat([a, text], -1) if self.use_text else a))
        t = mfcc.shape[1]
        parts = [f_l, self.identity_encoder(p_id)[:, None].expand(-1, t, -1)]
        if self.use_emotion:
            parts.append(self.emotion_encoder((p_emo - p_id[:, None]) * self.emotion_scale if self.relative_emotion else p_emo))
        return self.decoder(torch.cat(parts, -1)) + p_id[:, None]
