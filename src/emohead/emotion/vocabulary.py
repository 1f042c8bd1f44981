"""The eight MEAD emotions and the names users may type for them."""

from __future__ import annotations

from emohead.errors import EmoheadError

EMOTIONS: tuple[str, ...] = ("neutral", "happy", "sad", "angry", "fear", "surprise", "disgust", "contempt")
ALIASES = {
    "happiness": "happy", "joy": "happy", "smile": "happy", "hap": "happy",
    "sadness": "sad", "unhappy": "sad",
    "anger": "angry", "mad": "angry", "ang": "angry",
    "fearful": "fear", "afraid": "fear", "scared": "fear", "fea": "fear",
    "surprised": "surprise", "sur": "surprise",
    "disgusted": "disgust", "dis": "disgust",
    "contemptuous": "contempt", "con": "contempt",
    "calm": "neutral", "neu": "neutral", "none": "neutral",
}  # fmt: skip


def canonical_emotion(name: str) -> str:
    """'Happiness' -> 'happy'; unknown names raise with the list of valid ones."""
    key = name.strip().lower()
    key = ALIASES.get(key, key)
    if key not in EMOTIONS:
        raise EmoheadError(f"unknown emotion {name!r}; choose one of: {', '.join(EMOTIONS)}")
    return key
