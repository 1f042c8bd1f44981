"""Transcript text as it is spoken: the words a forced aligner can look up in its pronouncing dictionary.

"It's 3:45pm, Dr. Smith paid $12.50 (50% off) for the café's 2nd crème brûlée in 1999"
-> it's three forty five p m doctor smith paid twelve dollars fifty cents fifty percent off for the cafe's
second creme brulee in nineteen ninety nine

Numbers, ordinals, years, decimals, times, money and percentages are read out with ``num2words`` (LGPL,
a pure-Python library; the standard choice for spelling numbers in English TTS front ends); accented
letters lose their accents (Unicode NFKD: "naïve" -> "naive", the dictionary's spelling); a short table
expands common abbreviations. Everything else keeps the old rule: lower case, punctuation dropped,
apostrophes inside words kept.
"""

from __future__ import annotations

import re
import unicodedata

ABBREVIATIONS = {
    "mr": "mister", "mrs": "missus", "ms": "miz", "dr": "doctor", "prof": "professor", "jr": "junior",
    "sr": "senior", "vs": "versus", "etc": "et cetera", "e.g": "for example", "i.e": "that is",
    "approx": "approximately", "dept": "department", "govt": "government",
}  # fmt: skip
# only unambiguous abbreviations: "no." or "st." could be a word, "number" or "street"
CURRENCIES = {
    "$": ("dollar", "dollars", "cent", "cents"),
    "£": ("pound", "pounds", "penny", "pence"),
    "€": ("euro", "euros", "cent", "cents"),
}
SYMBOLS = {"&": " and ", "+": " plus ", "=": " equals ", "@": " at "}

_TIME = re.compile(r"\b(\d{1,2}):(\d{2})\s*(?:([ap])\.?\s?m\b\.?)?", re.I)
_MONEY = re.compile(r"([$£€])\s?(\d[\d,]*)(?:\.(\d{1,2}))?")
_PERCENT = re.compile(r"(\d[\d,]*(?:\.\d+)?)\s?%")
_ORDINAL = re.compile(r"\b(\d+)(st|nd|rd|th)\b", re.I)
_AMPM = re.compile(r"\b(\d{1,2})\s*([ap])\.?\s?m\b\.?", re.I)
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
_ABBREV = re.compile(r"\b(" + "|".join(re.escape(k) for k in sorted(ABBREVIATIONS, key=len, reverse=True)) + r")\.", re.I)


def _say(number: str, year_like: bool = True) -> str:
    from num2words import num2words

    plain = number.replace(",", "")
    if "." in plain:
        return num2words(float(plain))
    value = int(plain)
    if year_like and "," not in number and len(plain) == 4 and 1100 <= value <= 2099 and value % 1000 >= 10:
        return num2words(value, to="year")  # 1999 -> nineteen ninety-nine; 2024 -> twenty twenty-four
    return num2words(value)


def _time(m: re.Match) -> str:
    hour, minute, half = int(m[1]), int(m[2]), m[3]
    if minute == 0:
        spoken = _say(str(hour), False) + ("" if half else " o'clock")
    else:
        spoken = f"{_say(str(hour), False)} {'oh ' if minute < 10 else ''}{_say(str(minute))}"
    return f" {spoken} {half.lower() + ' m' if half else ''} "


def _money(m: re.Match) -> str:
    one, many, sub_one, sub_many = CURRENCIES[m[1]]
    whole = int(m[2].replace(",", ""))
    out = f"{_say(m[2], False)} {one if whole == 1 else many}"
    if m[3]:
        cents = int(m[3].ljust(2, "0"))
        out += f" {_say(str(cents))} {sub_one if cents == 1 else sub_many}" if cents else ""
    return f" {out} "


def spoken_text(text: str) -> str:
    """The transcript with numbers, symbols and abbreviations written out and accents removed (see module doc)."""
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = _TIME.sub(_time, text)
    text = _MONEY.sub(_money, text)
    text = _PERCENT.sub(lambda m: f" {_say(m[1], False)} percent ", text)
    text = _ORDINAL.sub(lambda m: f" {_ordinal(int(m[1]))} ", text)
    text = _AMPM.sub(lambda m: f" {_say(m[1], False)} {m[2].lower()} m ", text)
    text = _ABBREV.sub(lambda m: f" {ABBREVIATIONS[m[1].lower()]} ", text)
    for symbol, words in SYMBOLS.items():
        text = text.replace(symbol, words)
    return _NUMBER.sub(lambda m: f" {_say(m[0])} ", text)


def _ordinal(n: int) -> str:
    from num2words import num2words

    return num2words(n, to="ordinal")


def spoken_words(text: str) -> list[str]:
    """Lower-case spoken words, punctuation removed (apostrophes inside words kept): what the aligner looks up."""
    text = spoken_text(text).lower()
    return [w.strip("'") for w in re.findall(r"[a-z']+", text) if w.strip("'")]
