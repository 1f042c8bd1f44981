"""MEDTalk's networks (Liu et al., ACM MM 2025), in rig space: the 52 ARKit blendshapes stand in for the
174-dim MetaHuman rig (head pose is not part of MEDTalk's rig; the model adds our shared head motion).

- Motion autoencoder (Sec. 3.2), all frame-wise as in the authors' code: E_e, E_c = Linear(rig, 256), ReLU,
  Linear(256, 256); D = Linear(512, 256), ReLU, Linear(256, rig) on cat(emotion, content).
- ACM, audio content mapping (Sec. 3.3): audio features -> content code. The paper reads wav2vec2 (not offline);
  ours reads whisper tiny.en's encoder states (``speech="whisper"``, 384 per frame at 25 fps: a speech encoder
  trained on many voices, as wav2vec2 is; ``motion.speech``), or the per-frame MFCC window (``speech="mfcc"``,
  28 x 12 = 336: 0.28 s of context per frame; the bundles before session 11), then Linear, a temporal Conv1d
  (k 5) and Linear to 256.
- FIM, fusion intensity modelling (Fig. 2b): cross-attention with the voice as query (our 25 low-level voice
  features + loudness stand in for emotion2vec) and the transcript's MiniLM token embeddings as key/value
  (RoBERTa's stand-in), residual + LayerNorm, FFN, residual + LayerNorm, Linear -> one intensity per frame
  (softplus: never negative).
- Label embedding: Embedding(8, 256) -> MLP, unit norm; Eq. 9 scales it to the intensity of each frame, and
  E_fuse (MLP 256-256-256) maps it into the frozen emotion-code space.
- Guidance (Sec. 3.4): P_text (MiniLM sentence embedding, 384 -> 256) and P_image (a reference face's expression
  as 52 blendshape offsets: our face analysis stands in for CLIP's image encoder), each unit norm, so they replace
  the label direction. Each has a strength head (softplus) trained to predict the intensity the description or
  photo shows, which the public code leaves untrained.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from emohead import dims
from emohead.motion.speech import SPEECH_DIMS, check_speech
from emohead.nn.base import ConfigModule
from emohead.nn.blocks import mlp

VOICE_DIM = dims.N_LLF + 1  # low-level features + loudness


class FusionIntensity(nn.Module):
    """CMF (Fig. 2b): voice frames attend to transcript tokens; -> (B, T) intensity >= 0."""

    def __init__(self, voice_dim: int, text_dim: int, dim: int, heads: int):
        super().__init__()
        self.query = nn.Conv1d(voice_dim, dim, 5, padding=2)
        self.key = nn.Linear(text_dim, dim)
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.ffn = nn.Sequential(nn.Linear(dim, 2 * dim), nn.ReLU(), nn.Linear(2 * dim, dim))
        self.head = nn.Linear(dim, 1)

    def forward(self, voice: torch.Tensor, tokens: torch.Tensor, token_mask: torch.Tensor) -> torch.Tensor:
        """voice (B, T, V); tokens (B, N, 384); token_mask (B, N) True where a token is real."""
        q = F.relu(self.query(voice.transpose(1, 2))).transpose(1, 2)
        kv = self.key(tokens)
        att, _ = self.attn(q, kv, kv, key_padding_mask=~token_mask.bool())
        x = self.norm1(q + att)
        x = self.norm2(x + self.ffn(x))
        return F.softplus(self.head(x)[..., 0])


class MEDTalk(ConfigModule):
    def __init__(
        self,
        rig: int = dims.N_BLENDSHAPES,
        code: int = 256,
        speech: str = "mfcc",
        audio_dim: int | None = None,
        voice_dim: int = VOICE_DIM,
        text_dim: int = 384,
        fim_dim: int = 128,
        heads: int = 4,
        n_emotions: int = dims.N_EMOTIONS,
    ):
        super().__init__()
        self.speech = check_speech(speech)
        audio_dim = audio_dim or SPEECH_DIMS[speech]
        self.enc_emotion = mlp([rig, code, code], slope=None)
        self.enc_content = mlp([rig, code, code], slope=None)
        self.decoder = mlp([2 * code, code, rig], slope=None)
        self.acm_in = nn.Linear(audio_dim, code)
        self.acm_conv = nn.Conv1d(code, code, 5, padding=2)
        self.acm_out = nn.Linear(code, code)
        self.label = nn.Embedding(n_emotions, code)
        self.label_mlp = mlp([code, code, code], slope=None)
        self.fim = FusionIntensity(voice_dim, text_dim, fim_dim, heads)
        self.fuse = mlp([code, code, code], slope=None)
        self.proj = nn.ModuleDict({"text": mlp([text_dim, code, code], slope=None), "image": mlp([rig, code, code], slope=None)})
        self.strength = nn.ModuleDict({"text": mlp([text_dim, 64, 1], slope=None), "image": mlp([rig, 64, 1], slope=None)})

    # --- the disentangled motion space
    def encode(self, rig: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(..., rig) -> emotion code, content code (..., 256) each."""
        return self.enc_emotion(rig), self.enc_content(rig)

    def decode(self, emotion: torch.Tensor, content: torch.Tensor) -> torch.Tensor:
        return self.decoder(torch.cat([emotion, content], -1))

    # --- audio -> content
    def content(self, audio: torch.Tensor) -> torch.Tensor:
        """ACM: (B, T, audio_dim) speech features (``self.speech``) -> (B, T, 256) content codes."""
        x = F.relu(self.acm_in(audio))
        x = F.relu(self.acm_conv(x.transpose(1, 2))).transpose(1, 2)
        return self.acm_out(x)

    # --- emotion: a unit direction, scaled per frame, mapped by E_fuse
    def label_direction(self, label: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.label_mlp(self.label(label)), dim=-1)

    def guide_direction(self, kind: str, x: torch.Tensor) -> torch.Tensor:
        """P_text / P_image: (B, 384) sentence embedding or (B, 52) expression offset -> unit (B, 256)."""
        return F.normalize(self.proj[kind](x), dim=-1)

    def guide_strength(self, kind: str, x: torch.Tensor) -> torch.Tensor:
        """(B,) the intensity a description or reference expression asks for."""
        return F.softplus(self.strength[kind](x)[..., 0])

    def intensity(self, voice: torch.Tensor, tokens: torch.Tensor, token_mask: torch.Tensor) -> torch.Tensor:
        return self.fim(voice, tokens, token_mask)

    def emotion_code(self, direction: torch.Tensor, intensity: torch.Tensor) -> torch.Tensor:
        """Eq. 9 then E_fuse: direction (B, 256) x intensity (B, T) -> emotion codes (B, T, 256)."""
        return self.fuse(direction[:, None, :] * intensity[..., None])
