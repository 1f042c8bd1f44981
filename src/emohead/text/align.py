"""Phone timings from speech with pocketsphinx (its en-us acoustic model ships inside the wheel).

With a transcript: two-pass forced alignment (word segmentation, then phones), which is
accurate to about one 10 ms frame on clean speech. Without one: phone-loop recognition
(``allphone``), noisier but language-independent enough to drive a mouth. Phones are ARPAbet
without stress digits; ``SIL`` marks silence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from emohead.audio.io import SAMPLE_RATE
from emohead.text.spell import spell

PS_FRAME = 0.01  # pocketsphinx frame period, s


@dataclass(frozen=True)
class Phone:
    """One aligned phone: ARPAbet ``label`` (or ``SIL``), start and end in seconds, and its word (with the
    word's position in the utterance) when aligned to a transcript."""

    label: str
    start: float
    end: float
    word: str | None = None
    word_index: int | None = None


PHRASE_PAUSE = 0.3  # seconds of silence between two spoken phones that end a phrase (the analytic model's pauses)


def phrase_pauses(phones: list[Phone]) -> list[tuple[float, float]]:
    """(end of a phrase, start of the next) for each pause of ``PHRASE_PAUSE`` seconds or more between two phones
    that are not silence."""
    spoken = [p for p in phones if p.label != "SIL"]
    return [(a.end, b.start) for a, b in zip(spoken, spoken[1:]) if b.start - a.end >= PHRASE_PAUSE]


def normalize_transcript(text: str) -> list[str]:
    """The words as spoken (``text.normalize``): "Don't stop at 3pm!" -> ["don't", "stop", "at", "three", "p", "m"]."""
    from emohead.text.normalize import spoken_words

    return spoken_words(text)


class Aligner:
    """Reusable pocketsphinx decoders (loading the model takes ~0.3 s, so keep one per run)."""

    def __init__(self):
        self._align = None
        self._phones = None
        self._words = None

    def _decoder(self, kind: str):
        import os

        from pocketsphinx import Decoder, get_model_path

        if kind == "align":
            if self._align is None:
                self._align = Decoder(samprate=SAMPLE_RATE, bestpath=False, loglevel="FATAL")
            return self._align
        if self._phones is None:
            lm = os.path.join(get_model_path(), "en-us", "en-us-phone.lm.bin")
            self._phones = Decoder(samprate=SAMPLE_RATE, allphone=lm, lw=2.0, pip=0.3, beam=1e-20, pbeam=1e-20, loglevel="FATAL")
        return self._phones

    def transcribe(self, samples: np.ndarray) -> str:
        """Word recognition with pocketsphinx's bundled en-us language model (for clips without a transcript)."""
        if self._words is None:
            from pocketsphinx import Decoder

            self._words = Decoder(samprate=SAMPLE_RATE, loglevel="FATAL")
        self._words.start_utt()
        self._words.process_raw(_to_pcm16(samples), full_utt=True)
        self._words.end_utt()
        hyp = self._words.hyp()
        return hyp.hypstr if hyp is not None else ""

    def known_words(self, words: list[str]) -> tuple[list[str], list[str]]:
        """Split words into those in the pronouncing dictionary and those not."""
        d = self._decoder("align")
        known = [w for w in words if d.lookup_word(w)]
        return known, [w for w in words if not d.lookup_word(w)]

    def alignable(self, words: list[str]) -> list[str]:
        """``words`` ready for :meth:`align`. Each word the pronouncing dictionary lacks (a name, a new word) is added to
        it, pronounced by letter-to-sound rules (:func:`emohead.text.spell.spell`), so it keeps its own time in the
        alignment instead of the words around it being stretched over its sound; words with no letters are dropped."""
        d = self._decoder("align")
        out = []
        for w in words:
            if not d.lookup_word(w):
                phones = spell(w)
                if not phones:
                    continue
                try:
                    d.add_word(w, " ".join(phones), True)
                except (RuntimeError, ValueError):
                    continue  # the aligner cannot take it: left out, as every unknown word was before
            out.append(w)
        return out

    def align(self, samples: np.ndarray, words: list[str], offset: float = 0.0, first_word: int = 0) -> list[Phone]:
        """Forced alignment of known ``words`` to 16 kHz float samples. Empty list when it fails.

        offset (s) and first_word shift times and word indices, for audio aligned chunk by chunk."""
        if not words:
            return []
        d = self._decoder("align")
        raw = _to_pcm16(samples)
        try:
            d.set_align_text(" ".join(words))
            d.start_utt()
            d.process_raw(raw, full_utt=True)
            d.end_utt()
            d.set_alignment()
            d.start_utt()
            d.process_raw(raw, full_utt=True)
            d.end_utt()
            alignment = d.get_alignment()
        except (RuntimeError, ValueError):
            return []
        if alignment is None:
            return []
        phones = []
        for k, w in enumerate(alignment):
            word = None if w.name.startswith("<") else re.sub(r"\(\d+\)$", "", w.name)
            for p in w:
                label = "SIL" if p.name in ("SIL", "+NSN+", "+SPN+") else p.name
                start = offset + p.start * PS_FRAME
                phones.append(Phone(label, start, start + p.duration * PS_FRAME, word, first_word + k if word else None))
        return phones

    def recognize(self, samples: np.ndarray, offset: float = 0.0) -> list[Phone]:
        """Phone-loop recognition: ARPAbet phones with times, no words."""
        d = self._decoder("phones")
        d.start_utt()
        d.process_raw(_to_pcm16(samples), full_utt=True)
        d.end_utt()
        out = []
        for seg in d.seg():
            label = seg.word if seg.word.isalpha() and seg.word.isupper() else "SIL"
            out.append(Phone(label, offset + seg.start_frame * PS_FRAME, offset + (seg.end_frame + 1) * PS_FRAME))
        return out


def words_of(phones: list[Phone]) -> list[tuple[str, float, float]]:
    """(word, start, end) from aligned phones (consecutive phones of one word merged; silence dropped)."""
    words: dict[int, list] = {}
    for p in phones:
        if p.word is None or p.label == "SIL":
            continue
        if p.word_index in words:
            words[p.word_index][2] = p.end
        else:
            words[p.word_index] = [p.word, p.start, p.end]
    return [tuple(w) for w in words.values()]


def _to_pcm16(samples: np.ndarray) -> bytes:
    return (np.clip(samples, -1.0, 1.0) * 32767.0).astype(np.int16).tobytes()
