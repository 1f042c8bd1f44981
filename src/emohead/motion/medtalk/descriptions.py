"""Text descriptions of facial expressions for training and testing MEDTalk's text guidance.

The authors had an LLM describe the most intense frame of each RAVDESS clip; nothing like that runs offline, so
descriptions are generated from templates over emotion words, intensity adverbs and FACS phrases (the action
units of each emotion, in plain words; Ekman & Friesen's FACS, the same units the prototypes in
``emotion/prototypes`` are built from). Every description carries the emotion and the level (1-3: MEAD's
intensity levels) it was made for. Some templates and some words are **held out**: training never sees them,
and the tests and the weights README check that such phrasings still land on the right emotion.
"""

from __future__ import annotations

import random

WORDS = {  # emotion -> (training words, held-out words)
    "neutral": (["neutral", "calm", "relaxed", "expressionless", "composed"], ["impassive", "blank"]),
    "happy": (["happy", "joyful", "cheerful", "delighted", "pleased", "amused"], ["elated", "gleeful"]),
    "sad": (["sad", "sorrowful", "unhappy", "gloomy", "downcast", "grieving"], ["heartbroken", "melancholy"]),
    "angry": (["angry", "furious", "irritated", "mad", "hostile", "annoyed"], ["enraged", "livid"]),
    "fear": (["afraid", "scared", "frightened", "fearful", "nervous", "anxious"], ["terrified", "panicked"]),
    "surprise": (["surprised", "astonished", "amazed", "startled", "shocked"], ["stunned", "dumbfounded"]),
    "disgust": (["disgusted", "repulsed", "revolted", "grossed out", "nauseated"], ["sickened", "appalled"]),
    "contempt": (["contemptuous", "scornful", "disdainful", "smug", "sneering"], ["condescending", "derisive"]),
}
FACS = {  # emotion -> plain-words action units (AU numbers in the comments)
    "neutral": ["a relaxed face", "still brows and soft eyes", "lips resting together"],
    "happy": ["raised cheeks and pulled-up lip corners", "a wide smile with crinkled eyes", "smiling cheeks"],  # AU6 + AU12
    "sad": [
        "inner brows raised and lip corners pulled down",
        "drooping mouth corners",
        "a trembling, downturned mouth",
    ],  # AU1 + AU4 + AU15
    "angry": [
        "lowered, drawn-together brows and tight lips",
        "a hard frown with narrowed eyes",
        "knitted brows and pressed lips",
    ],  # AU4 + AU5 + AU7 + AU23
    "fear": [
        "raised, pulled-together brows and wide eyes",
        "stretched lips and wide-open eyes",
        "tense lids and raised brows",
    ],  # AU1+2+4+5+20
    "surprise": ["high raised brows and wide eyes", "eyebrows shooting up and a dropped jaw", "wide-open eyes"],  # AU1 + AU2 + AU5 + AU26
    "disgust": ["a wrinkled nose and raised upper lip", "a curled upper lip and scrunched nose", "nose wrinkled in distaste"],  # AU9 + AU10
    "contempt": ["one lip corner raised in a smirk", "a one-sided sneer", "a lopsided tightened lip corner"],  # AU14 one side
}
ADVERBS = {  # level -> (training adverbs, held-out adverbs)
    1: (["slightly", "a little", "faintly", "mildly", "barely"], ["a touch", "subtly"]),
    2: (["clearly", "moderately", "quite", "noticeably"], ["fairly", "visibly"]),
    3: (["very", "extremely", "intensely", "deeply", "utterly"], ["overwhelmingly", "fiercely"]),
}
TEMPLATES = (  # training templates
    "{adverb} {word}",
    "a {adverb} {word} face",
    "the speaker looks {adverb} {word}",
    "{adverb} {word}, with {facs}",
    "{facs}: {adverb} {word}",
    "someone who feels {adverb} {word}",
    "a {word} expression, {adverb} so",
    "talking while {adverb} {word}",
)
HELD_OUT_TEMPLATES = (
    "she seems {adverb} {word} as she speaks",
    "an expression that is {adverb} {word}, showing {facs}",
    "he answers, {adverb} {word}",
)


def describe(emotion: str, level: int, rng: random.Random, held_out: bool = False) -> str:
    """One description of ``emotion`` at ``level`` (1-3); ``held_out`` draws only from held-out templates and words."""
    pick = 1 if held_out else 0
    word = rng.choice(WORDS[emotion][pick])
    adverb = rng.choice(ADVERBS[level][pick]) if emotion != "neutral" else ""
    template = rng.choice(HELD_OUT_TEMPLATES if held_out else TEMPLATES)
    text = template.format(adverb=adverb, word=word, facs=rng.choice(FACS[emotion]))
    return " ".join(text.replace(" ,", ",").split())


def description_set(emotions, levels=(1, 2, 3), per_cell: int = 12, held_out: bool = False, seed: int = 0) -> list[tuple[str, str, int]]:
    """(text, emotion, level) for every emotion x level, ``per_cell`` distinct phrasings each where there are that many."""
    rng = random.Random(seed)
    out = []
    for emotion in emotions:
        for level in levels if emotion != "neutral" else (1,):
            seen: set[str] = set()
            for _ in range(per_cell * 8):
                if len(seen) >= per_cell:
                    break
                seen.add(describe(emotion, level, rng, held_out))
            out += [(t, emotion, level) for t in sorted(seen)]
    return out
