"""Frame-aligned linguistic features from a phone alignment: emohead's open stand-in for the 425-dim
Merlin features mul2lm feeds its text branch (Merlin's question files are not redistributable).

Layout, one row per 25 fps frame (:data:`TEXT_DIM` = 227):

| cols | what |
|---|---|
| 0-199 | phone identity one-hot (:data:`PHONES`, 40) for the phones at offsets -2, -1, 0, +1, +2 |
| 200-213 | articulatory classes of the current phone (:data:`CLASSES`, 14) |
| 214-216 | position in the phone: fraction elapsed, frames since start / 10, frames to end / 10 |
| 217 | phone duration (s) |
| 218-220 | position in the word: phone index / phones in word, phones in word / 10, fraction of the word elapsed |
| 221-224 | word: duration (s), letters / 10, content word (not a function word), position in the utterance (fraction) |
| 225-226 | syllable: index of the current syllable in the word / syllables, syllables in the word / 5 |

Frames in silence have SIL as the current phone and zeros in the word columns.
"""

from __future__ import annotations

import numpy as np

from emohead import dims
from emohead.text.align import Phone

PHONES = (
    "SIL",
    "AA",
    "AE",
    "AH",
    "AO",
    "AW",
    "AY",
    "B",
    "CH",
    "D",
    "DH",
    "EH",
    "ER",
    "EY",
    "F",
    "G",
    "HH",
    "IH",
    "IY",
    "JH",
    "K",
    "L",
    "M",
    "N",
    "NG",
    "OW",
    "OY",
    "P",
    "R",
    "S",
    "SH",
    "T",
    "TH",
    "UH",
    "UW",
    "V",
    "W",
    "Y",
    "Z",
    "ZH",
)
VOWELS = {"AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY", "UH", "UW"}
CLASSES = {
    "silence": {"SIL"},
    "vowel": VOWELS,
    "bilabial": {"P", "B", "M"},
    "labiodental": {"F", "V"},
    "dental": {"TH", "DH"},
    "alveolar": {"T", "D", "N", "L", "S", "Z"},
    "postalveolar": {"CH", "JH", "SH", "ZH", "R"},
    "velar": {"K", "G", "NG"},
    "glottal": {"HH"},
    "rounded": {"OW", "UH", "UW", "OY", "W", "AO"},
    "open": {"AA", "AE", "AH", "AO", "AW", "AY"},
    "front": {"IY", "IH", "EH", "EY", "AE", "Y"},
    "back": {"UW", "UH", "OW", "AO", "AA"},
    "voiced_stop": {"B", "D", "G"},
}
FUNCTION_WORDS = frozenset(
    "a an the and or but if of to in on at by for with from as is are was were be been it its this that "
    "i you he she we they me him her us them my your our their not no do does did so".split()
)
TEXT_DIM = 5 * len(PHONES) + len(CLASSES) + 3 + 1 + 3 + 4 + 2
assert TEXT_DIM == 227


def text_features(phones: list[Phone], n_frames: int, fps: float = dims.FPS) -> np.ndarray:
    """(n_frames, 227) float32 features for frames sampled at their centres."""
    out = np.zeros((n_frames, TEXT_DIM), np.float32)
    seq = [p for p in phones if p.end > p.start] or [Phone("SIL", 0.0, n_frames / fps)]
    starts = np.array([p.start for p in seq])
    words: dict[int, list[int]] = {}
    for k, p in enumerate(seq):
        if p.word_index is not None and p.label != "SIL":
            words.setdefault(p.word_index, []).append(k)
    word_of = {k: w for w, ks in words.items() for k in ks}
    n_words = max(len(words), 1)
    word_order = {w: i for i, w in enumerate(sorted(words))}
    class_sets = list(CLASSES.values())
    for t in range(n_frames):
        c = (t + 0.5) / fps
        k = int(np.clip(np.searchsorted(starts, c, side="right") - 1, 0, len(seq) - 1))
        p = seq[k]
        inside = p.start <= c < p.end
        for j, off in enumerate((-2, -1, 0, 1, 2)):
            q = seq[k + off].label if 0 <= k + off < len(seq) and inside else "SIL"
            out[t, j * 40 + (PHONES.index(q) if q in PHONES else 0)] = 1.0
        label = p.label if inside else "SIL"
        base = 200
        out[t, base : base + 14] = [label in s for s in class_sets]
        dur = p.end - p.start
        if inside:
            out[t, 214:218] = [(c - p.start) / dur, (c - p.start) * fps / 10, (p.end - c) * fps / 10, dur]
        w = word_of.get(k) if inside else None
        if w is not None:
            ks = words[w]
            w0, w1 = seq[ks[0]].start, seq[ks[-1]].end
            word = p.word or ""
            nuclei = [i for i in ks if seq[i].label in VOWELS] or ks[:1]
            syl = sum(1 for i in nuclei if i <= k) or 1
            out[t, 218:227] = [
                ks.index(k) / len(ks),
                len(ks) / 10,
                (c - w0) / max(w1 - w0, 1e-3),
                w1 - w0,
                len(word) / 10,
                float(word.lower() not in FUNCTION_WORDS),
                word_order[w] / n_words,
                syl / len(nuclei),
                len(nuclei) / 5,
            ]
    return out
