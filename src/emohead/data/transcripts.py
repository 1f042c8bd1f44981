"""Transcripts that public datasets encode in their file names."""

from __future__ import annotations

from emohead.errors import EmoheadError

# GRID (Cooke et al. 2006): command colour preposition letter digit adverb, one character each.
_GRID = (
    {"b": "bin", "l": "lay", "p": "place", "s": "set"},
    {"b": "blue", "g": "green", "r": "red", "w": "white"},
    {"a": "at", "b": "by", "i": "in", "w": "with"},
    None,  # the letter itself
    {
        "z": "zero",
        "0": "zero",
        "1": "one",
        "2": "two",
        "3": "three",
        "4": "four",
        "5": "five",
        "6": "six",
        "7": "seven",
        "8": "eight",
        "9": "nine",
    },
    {"a": "again", "n": "now", "p": "please", "s": "soon"},
)

# CREMA-D sentence codes -> the 12 sentences.
CREMAD_SENTENCES = {
    "IEO": "It's eleven o'clock",
    "TIE": "That is exactly what happened",
    "IOM": "I'm on my way to the meeting",
    "IWW": "I wonder what this is about",
    "TAI": "The airplane is almost full",
    "MTI": "Maybe tomorrow it will be cold",
    "IWL": "I would like a new alarm clock",
    "ITH": "I think I have a doctor's appointment",
    "DFA": "Don't forget a jacket",
    "ITS": "I think I've seen this before",
    "TSI": "The surface is slick",
    "WSI": "We'll stop in a couple of minutes",
}


def grid_sentence(stem: str) -> str:
    """'bbaf2n' (or any name ending in the 6-character GRID code) -> 'bin blue at f two now'."""
    code = stem[-6:].lower()
    if len(code) != 6:
        raise EmoheadError(f"{stem!r} does not end in a 6-character GRID code such as 'bbaf2n'")
    words = []
    for ch, table in zip(code, _GRID):
        if table is None:
            words.append(ch)
        elif ch in table:
            words.append(table[ch])
        else:
            raise EmoheadError(f"{stem!r} is not a GRID code: {ch!r} is not a valid word code")
    return " ".join(words)
