"""Letter-to-sound rules: an ARPAbet pronunciation for a word the pronouncing dictionary lacks.

Names and new words ("Klobuchar", "Zelensky", "covid", what ASR spells "Bimblue") are not in pocketsphinx's
dictionary. Left out of the forced alignment, the words around them are stretched over their sound and the
mouth runs out of step for the whole phrase. Spelled out by these rules they take their own time, with a
mouth shape close enough for a viseme (labial, rounded, open ...), which is all the motion models read.

The rules are the usual context rules of English text-to-speech front ends (in the manner of Elovitz et al.
1976, "Letter-to-sound rules for automatic translation of English text to phonetics", much reduced): longest
grapheme first, consonant digraphs, soft c and g before e / i / y, vowel digraphs, r-coloured vowels, a final
silent e that makes the vowel before it long, doubled consonants read once. Measured against the dictionary's
own words in ``benchmarks/README.md`` ("Words outside the pronouncing dictionary").
"""

from __future__ import annotations

import re

VOWELS = frozenset("aeiouy")
SOFT = frozenset("eiy")  # c and g are soft before these
LONG = {"a": "EY", "e": "IY", "i": "AY", "o": "OW", "u": "UW", "y": "AY"}  # a vowel before consonant + final e
SHORT = {"a": "AE", "e": "EH", "i": "IH", "o": "AA", "u": "AH", "y": "IH"}
FINAL = {"a": "AH", "i": "IY", "o": "OW", "u": "UW", "y": "IY"}  # a vowel that ends a word of more than one syllable
CONSONANTS = {
    "b": "B", "d": "D", "f": "F", "h": "HH", "j": "JH", "k": "K", "l": "L", "m": "M", "n": "N", "p": "P",
    "q": "K", "r": "R", "t": "T", "v": "V", "w": "W", "z": "Z",
}  # fmt: skip
# graphemes of two letters or more, longest first; "^" marks one that only reads so at the start of a word
CLUSTERS = [
    ("tion", "SH AH N"), ("sion", "ZH AH N"), ("ough", "AO"), ("augh", "AO"), ("eigh", "EY"), ("ture", "CH ER"),
    ("tch", "CH"), ("sch", "S K"), ("igh", "AY"), ("que", "K"),
    ("^kn", "N"), ("^wr", "R"), ("^gh", "G"), ("^ps", "S"), ("^x", "Z"),
    ("ch", "CH"), ("sh", "SH"), ("th", "TH"), ("ph", "F"), ("wh", "W"), ("ck", "K"), ("ng", "NG"), ("qu", "K W"),
    ("dg", "JH"), ("gh", ""), ("mb$", "M"), ("le$", "AH L"),
    ("ee", "IY"), ("ea", "IY"), ("oo", "UW"), ("ou", "AW"), ("oa", "OW"), ("ai", "EY"), ("ay", "EY"), ("ei", "EY"),
    ("ey", "EY"), ("ie", "IY"), ("oi", "OY"), ("oy", "OY"), ("au", "AO"), ("aw", "AO"), ("ew", "UW"), ("ue", "UW"),
    ("ui", "UW"), ("eu", "UW"), ("ow", "OW"),
]  # fmt: skip
LETTERS = {
    "a": "EY", "b": "B IY", "c": "S IY", "d": "D IY", "e": "IY", "f": "EH F", "g": "JH IY", "h": "EY CH", "i": "AY",
    "j": "JH EY", "k": "K EY", "l": "EH L", "m": "EH M", "n": "EH N", "o": "OW", "p": "P IY", "q": "K Y UW", "r": "AA R",
    "s": "EH S", "t": "T IY", "u": "Y UW", "v": "V IY", "w": "D AH B AH L Y UW", "x": "EH K S", "y": "W AY", "z": "Z IY",
}  # fmt: skip
SIBILANT = frozenset({"S", "Z", "SH", "ZH", "CH", "JH"})  # a plural after these is IH Z
VOICELESS = frozenset({"P", "T", "K", "F", "TH", "S", "SH", "CH"})  # a plural after these is S, a past T
R_COLOURED = {"a": "AA R", "e": "ER", "i": "ER", "o": "AO R", "u": "ER", "y": "ER"}  # vowel + r not before a vowel


def _cluster(word: str, i: int) -> tuple[int, str] | None:
    """(letters taken, phones) of the longest cluster rule matching at ``i``."""
    for pattern, phones in CLUSTERS:
        letters = pattern.strip("^$")
        if pattern.startswith("^") and i:
            continue
        if not word.startswith(letters, i) or (pattern.endswith("$") and i + len(letters) != len(word)):
            continue
        return len(letters), phones
    return None


def _vowel(word: str, i: int, syllables: int) -> tuple[int, str]:
    """(letters taken, phones) for the vowel letter at ``i``."""
    ch, rest = word[i], word[i + 1 :]
    if ch == "y" and rest[:1] in VOWELS:
        return 1, "Y"  # a consonant y: "yes", "kenya"
    if rest[:1] == "r" and rest[1:2] not in VOWELS:
        return 2, R_COLOURED[ch]
    if ch == "e" and not rest and syllables > 1:
        return 1, ""  # final silent e
    if len(rest) == 2 and rest[0] not in VOWELS and rest[1] == "e" and syllables > 1:
        return 1, LONG[ch]  # "shape", "time": the e at the end makes this vowel long
    if not rest and syllables > 1:
        return 1, FINAL.get(ch, SHORT[ch])
    if len(rest) == 1 and rest in "lmn" and syllables > 1 and ch != "y":
        return 1, "AH"  # an unstressed last syllable: "lemon", "pedal", "seven"
    if not rest and ch in LONG:
        return 1, LONG[ch]  # a one-syllable word ending in its vowel: "ko", "hi"
    return 1, SHORT[ch]


def spell(word: str) -> list[str]:
    """ARPAbet phones (no stress) for ``word`` by letter-to-sound rules; [] when it has no letters. A plural or past
    ending is read after its stem, as English voices it ("chides" -> CH AY D Z, "encamped" -> ... M P T); a single
    letter, or a short word with no vowel (an acronym), is read letter by letter ("gpt" -> JH IY P IY T IY)."""
    word = re.sub(r"[^a-z]", "", word.lower())
    if len(word) == 1 or (len(word) <= 5 and not VOWELS & set(word)):
        return [p for ch in word for p in LETTERS[ch].split()]  # a letter, an acronym: "nsa", "gpt"
    if len(word) > 4 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        stem = word[:-2] if word.endswith(("ies", "ses", "xes", "zes", "ches", "shes")) else word[:-1]
        head = _spell(stem) + (["IY"] if word.endswith("ies") else [])
        if head:
            return head + (["IH", "Z"] if head[-1] in SIBILANT else ["S"] if head[-1] in VOICELESS else ["Z"])
    if len(word) > 4 and word.endswith("ed"):
        head = _spell(word[:-2])
        if head:
            return head + (["IH", "D"] if head[-1] in ("T", "D") else ["T"] if head[-1] in VOICELESS else ["D"])
    return _spell(word)


def _spell(word: str) -> list[str]:
    """The rules left to right: a cluster, else a vowel in its context, else a consonant."""
    syllables = len(re.findall(r"[aeiouy]+", word))
    phones: list[str] = []
    i = 0
    while i < len(word):
        ch = word[i]
        hit = _cluster(word, i)
        if hit is not None:
            taken, out = hit
        elif ch in VOWELS and not (ch == "y" and i == 0):
            taken, out = _vowel(word, i, syllables)
        elif i and ch == word[i - 1]:
            taken, out = 1, ""  # a doubled consonant reads once
        elif ch == "c":
            taken, out = 1, "S" if word[i + 1 : i + 2] in SOFT else "K"
        elif ch == "g":
            taken, out = 1, "JH" if word[i + 1 : i + 2] in SOFT else "G"
        elif ch == "x":
            taken, out = 1, "K S"
        elif ch == "s":
            between = 0 < i < len(word) - 1 and word[i - 1] in VOWELS and word[i + 1] in VOWELS
            taken, out = 1, "Z" if between else "S"
        elif ch == "h" and i and word[i - 1] in VOWELS and word[i + 1 : i + 2] not in VOWELS:
            taken, out = 1, ""  # "sarah", "ohm"
        elif ch == "y":
            taken, out = 1, "Y"
        else:
            taken, out = 1, CONSONANTS.get(ch, "")
        phones += out.split()
        i += taken
    return phones
