"""EAPC: Dual-LSTM audio-to-landmarks with emotion read from low-level voice features.

Nguyen et al., "EAPC: Emotion and Audio Prior Control Framework for the Emotional and Temporal Talking
Face Generation" (VISAPP 2024), Sec. 3. Per 25-frame window (symbols as in the paper):

- X_MFCC: the 28x12 MFCC window of each frame -> 3-layer audio LSTM -> X_af (Eq. 2). ``speech="whisper"`` reads
  whisper's encoder states instead (``motion.speech``, ``configs/eapc_whisper.json``): tried and not bundled, since
  unlike EmoSpeaker's the held-back lip sync fell (0.523 -> 0.494; weights README, "eapc on whisper's states").
  ``cmn=True`` subtracts each MFCC coefficient's mean over the window first (cepstral mean normalisation,
  ``configs/eapc_cmn.json``): tried and not bundled (weights README, "eapc over seeds ...");
- LLF encoder: the 25 low-level features -> 3 LSTM layers -> X_emotion, 8 emotion probabilities per
  frame (Eq. 1); a user's label replaces it;
- X_afnew = concat(X_af, X_emotion) (Eq. 3);
- landmark LSTM on X_af with the previous-frame skip X_lm^i = LSTM(X_af)^i + X_lm^(i-1) (Eqs. 4-5);
- local attention over the window: att = softmax(X_afnew . X_lm^T) . X_lm, out = X_afnew + att (Eqs. 6-7),
  the dot products scaled by 1/sqrt(d) as in Vaswani et al. (cited by the paper) so the softmax does not saturate;
- FC 512-256-136 -> 68x2 landmarks (Eqs. 8-9), added to the reference face's landmarks (the paper fuses
  the reference face's landmarks; the equations leave out how).
Ablations (Tables 2-3): ``skip=False`` drops Eq. 4's skip; ``attention=False`` uses X_afnew as the output.
Losses: L_mse + L_lmd (Eq. 13; ``emohead.nn.losses``), plus cross-entropy on the LLF encoder's emotion
where the clip's label is known.
"""

from __future__ import annotations

import torch
from torch import nn

from emohead import dims
from emohead.motion.speech import SPEECH_DIMS, check_speech
from emohead.nn.base import ConfigModule
from emohead.nn.blocks import mlp

N_EMOTIONS = dims.N_EMOTIONS


class LLFEncoder(nn.Module):
    """llf (B, T, 25) -> emotion logits (B, T, 8)."""

    def __init__(self, n_llf: int = dims.N_LLF, hidden: int = 64):
        super().__init__()
        self.lstm = nn.LSTM(n_llf, hidden, num_layers=3, batch_first=True)
        self.out = nn.Linear(hidden, N_EMOTIONS)

    def forward(self, llf):
        h, _ = self.lstm(llf)
        return self.out(h)


class EAPC(ConfigModule):
    """speech (B, T, ...) (``motion.speech``: the MFCC window (B, T, 28, 12) as in the paper, or whisper's states),
    llf (B, T, 25), ref (B, 136)[, emotion (B, T, 8)] -> (landmarks (B, T, 136), emotion logits)."""

    def __init__(
        self,
        hidden: int = 256,
        llf_hidden: int = 64,
        skip: bool = True,
        attention: bool = True,
        speech: str = "mfcc",
        dropout: float = 0.0,
        cmn: bool = False,
    ):
        super().__init__()
        self.skip, self.attention, self.speech = skip, attention, check_speech(speech)
        # cepstral mean normalisation: each MFCC coefficient less its mean over the window (speaker and channel out)
        self.cmn = bool(cmn) and self.speech == "mfcc"
        # dropout between the audio LSTM's layers in training (0: the paper's, and every bundle's)
        self.audio_lstm = nn.LSTM(SPEECH_DIMS[speech], hidden, num_layers=3, batch_first=True, dropout=dropout)
        self.llf_encoder = LLFEncoder(dims.N_LLF, llf_hidden)
        width = hidden + N_EMOTIONS
        self.lm_lstm = nn.LSTM(hidden, width, batch_first=True)
        self.head = mlp([width, 512, 256, dims.LM68_2D], slope=None)

    def forward(self, speech, llf, ref, emotion=None):
        b, t = speech.shape[:2]
        if self.cmn:
            speech = speech - speech.mean(dim=(1, 2), keepdim=True)
        x_af, _ = self.audio_lstm(speech.reshape(b, t, -1))
        logits = self.llf_encoder(llf)
        x_emotion = torch.softmax(logits, -1) if emotion is None else emotion
        x_afnew = torch.cat([x_af, x_emotion], -1)
        h, _ = self.lm_lstm(x_af)
        x_lm = torch.cumsum(h, dim=1) if self.skip else h  # Eq. 4: X_lm^i = LSTM^i + X_lm^(i-1)
        if self.attention:
            weights = torch.softmax(x_afnew @ x_lm.transpose(1, 2) / x_lm.shape[-1] ** 0.5, dim=-1)
            out = x_afnew + weights @ x_lm
        else:
            out = x_afnew
        return self.head(out) + ref[:, None], logits
