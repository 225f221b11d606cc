"""Readability of Swedish text (rule Q8, klarspråk) measured as LIX.

LIX = words / sentences + 100 * long words / words, where a long word has more than
six letters. A word is a run of letters ("TBE-vaccin" and "t.ex." count as one word; pure
numbers are not words). A sentence ends at '.', '!' or '?' followed by space or the end
of the text, or at a line break; common abbreviations such as "t.ex." do not end one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

LONG_WORD_LETTERS = 6
_LEVELS = ((25, "mycket lättläst"), (35, "lättläst"), (45, "medelsvår"), (55, "svår"))
_ABBREVIATIONS = (
    "t.ex.", "bl.a.", "m.m.", "m.fl.", "osv.", "o.s.v.", "dvs.", "d.v.s.", "s.k.", "kl.", "ca.", "nr.",
    "t.o.m.", "fr.o.m.", "resp.", "jfr.", "p.g.a.", "pga.",
)  # fmt: skip
_ABBREVIATION = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(a) for a in _ABBREVIATIONS) + ")", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_WORD = re.compile(r"[^\W\d_]+(?:[-.][^\W\d_]+)*")


@dataclass(frozen=True)
class Readability:
    lix: float
    level: str
    long_sentences: tuple[str, ...]
    words: int = 0


def level_for(lix: float) -> str:
    return next((label for limit, label in _LEVELS if lix < limit), "mycket svår")


def _split_sentences(text: str) -> list[str]:
    # Hide the dots of abbreviations so they cannot end a sentence, then restore them.
    masked = _ABBREVIATION.sub(lambda m: m.group(0).replace(".", "\0"), text)
    parts = (p.replace("\0", ".").strip() for p in _SENTENCE_END.split(masked))
    return [p for p in parts if _WORD.search(p)]


def readability(text: str, max_words_per_sentence: int = 25) -> Readability:
    sentences = _split_sentences(text)
    words = [w for s in sentences for w in _WORD.findall(s)]
    if not words:
        return Readability(0.0, level_for(0.0), ())
    long_words = sum(1 for w in words if sum(ch.isalpha() for ch in w) > LONG_WORD_LETTERS)
    lix = len(words) / len(sentences) + 100 * long_words / len(words)
    long_sentences = tuple(s for s in sentences if len(_WORD.findall(s)) > max_words_per_sentence)
    return Readability(lix, level_for(lix), long_sentences, len(words))
