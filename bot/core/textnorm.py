"""Swedish text normalisation: words, light stemming, compounds, n-grams.

Pure standard library. Text is lowercased (å, ä and ö are kept, nothing else
is folded) and split into runs of letters and digits. The stemmer follows the
Snowball Swedish algorithm (R1 region, main suffixes, consonant pairs, other
suffixes) and also strips the definite -an/-ans of a-words and -et/-ets of
neuters, so "skolan" -> "skol" like "skola", and "huset" -> "hus". Compound
matching relies on Swedish compounds putting the head last and joining the
parts with an optional linking letter (fog-s, förskola/förskole-, gata/gatu-).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache

_WORD = re.compile(r"[^\W_]+")
_VOWELS = frozenset("aeiouyäåö")
_S_ENDING = frozenset("bcdfghjklmnoprtvy")
_MAIN_SUFFIXES = tuple(
    sorted(
        (
            "a arna erna heterna orna ad e ade ande arne are aste en anden aren"
            " heten ern ar er heter or as arnas ernas ornas es ades andes ens"
            " arens hetens erns at andet het ast et ets an ans"
        ).split(),
        key=len,
        reverse=True,
    )
)
_CONSONANT_PAIRS = ("dd", "gd", "nn", "dt", "gt", "kt", "tt")
_OTHER_SUFFIXES = (("fullt", "full"), ("löst", "lös"), ("lig", ""), ("els", ""), ("ig", ""))

_LINKING_LETTERS = frozenset("seaou")  # join compound parts: bygglov-s-ansökan, förskol-e-plats
_BOUND_PREFIXES = frozenset({"för", "miss", "sam", "van", "upp", "till", "åter", "bort"})
_DERIVATIONS = tuple("ering ning ing else het lig isk ism ist ande ende ion itet".split())
MIN_COMPOUND_KEYWORD = 4
"""Shorter keywords should only match whole (inflected) words, never inside compounds."""
_MIN_PART = 3
MAX_COMPOUND = 60
"""Longer "words" (a URL, a run of letters) are not read as compounds: splitting is quadratic in length."""


def normalize(text: str) -> str:
    """NFC-compose and lowercase; no other folding (å ä ö stay distinct)."""
    return unicodedata.normalize("NFC", text).lower()


def words(text: str) -> list[str]:
    """Lowercased runs of letters and digits."""
    return _WORD.findall(normalize(text))


def _r1(word: str) -> int:
    for i in range(1, len(word)):
        if word[i] not in _VOWELS and word[i - 1] in _VOWELS:
            return max(i + 1, 3)
    return len(word)


@lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
    """Light Swedish stem of a lowercased word (Snowball Swedish plus -an/-et)."""
    r1 = _r1(word)
    for suffix in _MAIN_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= r1:
            if suffix.startswith("et") and word[: -len(suffix)].endswith("it"):
                continue  # kvalitet, universitet: -et belongs to the root
            word = word[: -len(suffix)]
            break
    else:
        if word.endswith("s") and len(word) - 1 >= r1 and word[-2] in _S_ENDING:
            word = word[:-1]
    if any(word.endswith(p) and len(word) - 2 >= r1 for p in _CONSONANT_PAIRS):
        word = word[:-1]
    for suffix, replacement in _OTHER_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= r1:
            return word[: -len(suffix)] + replacement
    return word


def forms(word: str) -> frozenset[str]:
    """The word and its stem, the forms that keyword and compound matching compare."""
    return frozenset((word, stem(word)))


def char_ngrams(word: str, lo: int = 3, hi: int = 5) -> Iterator[str]:
    """Character n-grams of one word with boundary marks, e.g. '<hu', 'hus', 'us>'."""
    marked = f"<{word}>"
    for n in range(lo, hi + 1):
        for i in range(len(marked) - n + 1):
            yield marked[i : i + n]


def _wordlike(part: str) -> bool:
    return len(part) >= _MIN_PART and any(c in _VOWELS for c in part)


def _can_follow_a_part(rest: str) -> bool:
    # bygglov|sansökan, förskol|eplatsen; a derivation makes no compound: park|ering, skol|ning
    if rest.startswith(_DERIVATIONS):
        return False
    return _wordlike(rest) or (rest[0] in _LINKING_LETTERS and _wordlike(rest[1:]))


def _can_precede_a_part(prefix: str) -> bool:
    # förskole|plats, grund|skol; a bound prefix makes no compound: för|skol
    return _wordlike(prefix) and prefix not in _BOUND_PREFIXES


def compound_parts(word: str) -> set[str]:
    """Possible first and last parts of `word` (or its stem) read as a compound.

    "förskoleplatsen" gives among others "förskol" (first, with linking e)
    and "plats" (last); a part and what remains must both look like words."""
    parts: set[str] = set()
    if len(word) > MAX_COMPOUND:
        return parts
    for form in forms(word):
        for i in range(_MIN_PART, len(form) - _MIN_PART + 1):
            first, rest = form[:i], form[i:]
            if _can_follow_a_part(rest):
                parts.add(first)
            if _can_precede_a_part(first):
                parts.add(rest)
    return parts


# Function words, greetings, politeness and the verbs every question uses: sharing them with a
# past answer is no evidence that its author knows the subject (issue 10 point 10).
_FUNCTION_WORDS = frozenset(
    """
    och i att det som en på är av för med till den har de inte om ett han men var jag sig från vi så
    kan man när år säga hon under också efter eller nu sin där vid mot ska skall kommer blir bli blev
    vara varit hade ha får få fick kunna kunde vill ville måste behöver borde bör går gå gick gör göra
    gjorde tar ta tog finns fanns ligger sker hur vad vem vems vilken vilket vilka varför var vart
    varifrån då dit hit här nog bara även redan ännu igen mycket mer mest lite mindre sen sedan innan
    ni er era ert du dig din ditt dina mig min mitt mina oss vår vårt våra hans hennes deras dem dom
    denna detta dessa någon något några nån nåt inga ingen inget alla allt varje andra annan annat
    hej hejsan hallå tjena tja tack snälla god morgon kväll dag vänliga hälsningar mvh
    undrar fråga frågor frågan svar svaret svara svarar veta vet tänkte skulle kanske ju väl bra
    ok okej jo ja nej inte aldrig alltid ofta idag imorgon igår nästa förra denna vecka
    """.split()
)
# What any service could be asked: a question made only of these (and function words) is
# generic, one several colleagues could answer, and goes to the account, not to a guess.
_GENERIC_WORDS = frozenset(
    """
    handläggningstid handläggningstiden handläggning lång länge långt tid tiden tider snabbt
    kostar kosta kostnad kostnaden kostnader avgift avgiften avgifter pris priset taxa taxan betala
    öppet öppettid öppettider öppna öppnar stänger stängt öppnas
    ansökan ansöka ansöker söka söker blankett blanketten e-tjänst etjänst
    kontakt kontakta ringa ringer telefon telefonnummer mejl mail mejla epost information info hjälp
    kommun kommunen kommunens ärende ärendet beslut beslutet besked handläggare
    """.split()
)
STOP_STEMS = frozenset(stem(w) for w in _FUNCTION_WORDS)
GENERIC_STEMS = frozenset(stem(w) for w in _GENERIC_WORDS)


def content_stems(text_words: list[str]) -> set[str]:
    """Stems of the words that say what a text is about: no function words, no digits-only words."""
    out = set()
    for w in text_words:
        if len(w) < 3 or w.isdigit():
            continue
        s = stem(w)
        if s not in STOP_STEMS and w not in _FUNCTION_WORDS:
            out.add(s)
    return out
