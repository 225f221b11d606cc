"""Route a citizen question to the colleague who knows most (rule Q3).

`Router.rank` scores each configured expert as

    score = (number of the expert's keywords the text matches) + history

where `history` in [0, 1] is the mean of the first two views below of the
expert's past answers, each divided by its best value among the experts for
this text. One declared keyword thus weighs as much as being the best match in
every view, and history orders experts with equal keyword matches. Query terms
weigh 1 + ln tf in all three views:

1. volume: BM25 (k1 1.2, b 0.75) of the text's character 3-5-grams, taken
   within words, against the expert's profile: all the questions and answers
   they have answered, concatenated;
2. typicality: the same n-grams' idf²-weighted inner product with the
   direction of the expert's centroid, the sum of their answers as unit
   vectors of sublinear n-gram counts, so each answer counts once whatever
   its length (both views skip n-grams found in every profile: they cannot
   tell experts apart);
3. precedent: the best idf²-weighted inner product of the text's word stems
   with the unit stem vector of a past question the expert answered, among
   the NEIGHBOURS most similar of the PRECEDENT_WINDOW most recent past
   questions. It explains a ranking
   ("har svarat på 3 liknande frågor") but does not score: it did not win on
   question sets it was not designed on (docs/quality.md, issue 15).

History counts only as evidence (the floor, issue 10 point 10): an expert's
history views are zero unless the text shares a content word with their past
questions and answers (not a function word or greeting, see
`textnorm.content_stems`; compound parts count) that at most half of the
experts with history share. A text with no keyword match whose content words
are all generic (handling time, fee, opening hours: `textnorm.GENERIC_STEMS`)
ranks nobody: several colleagues could answer it, so the caller gives it to the
account's responsible person instead of guessing.

Availability and workload are the caller's concern. All of it lives in
inverted indexes updated in place by `add_history`; idf and length norms are
derived from counts when asked, so incremental and batch construction give
the same result.

Speed and memory (issue 17): a decision is a few sums over arrays, with no
Python loop per past answer or per posting: the postings of all the question's
n-grams (per-person counts and centroid components) are laid end to end and
summed per person with `numpy.bincount`; the precedent view runs MaxScore on
arrays; the evidence floor keeps each term's people as a bit set. The profile
views and the evidence grow with the vocabulary times the people, the
precedent view with its window, none with the history. The arithmetic is the
one of the plain loops it replaced, in the same order, so the floats and the
rankings are the same (`tests/unit/test_router_decisions.py`).
"""

from __future__ import annotations

import heapq
import math
from array import array
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate

import numpy as np

from bot.core.textnorm import (
    GENERIC_STEMS,
    MIN_COMPOUND_KEYWORD,
    STOP_STEMS,
    char_ngrams,
    compound_parts,
    content_stems,
    forms,
    stem,
    words,
)

NEIGHBOURS = 20
"""How many of the most similar past questions vote in the precedent view."""
PRECEDENT_WINDOW = 100_000
"""The precedent view looks among the most recent past questions only (its memory is bounded)."""
_K1, _B = 1.2, 0.75
_SLACK = 1 + 1e-9  # float rounding margin on MaxScore bounds
_NUMPY_FROM = 64  # experts from which the profile views add each n-gram's postings with numpy


@dataclass(frozen=True)
class Expert:
    """One configured colleague."""

    email: str
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class HistoryAnswer:
    """One past answer."""

    question: str
    answer: str
    answered_by: str


@dataclass(frozen=True)
class Ranked:
    """One expert's place in a ranking, with Swedish reasons for it."""

    email: str
    score: float
    reasons: tuple[str, ...]


def _key(email: str) -> str:
    return email.strip().lower()


@lru_cache(maxsize=1 << 16)
def _grams(word: str) -> tuple[str, ...]:
    return tuple(char_ngrams(word))


def _idf(n: int, df: int) -> float:
    return math.log(1.0 + (n - df + 0.5) / (df + 0.5))


def _unit(counts: Counter[str]) -> dict[str, float]:
    """Sublinear term weights 1 + ln tf, scaled to unit length."""
    weights = {t: 1.0 + math.log(c) for t, c in counts.items()}
    norm = math.hypot(*weights.values())
    return {t: w / norm for t, w in weights.items()}


class _Keywords:
    """Keyword index. A text word matches a keyword word when they share a
    form (word or stem) or, for keywords of at least MIN_COMPOUND_KEYWORD
    letters, when the keyword is the first or last part of the text word read
    as a compound. A keyword of several words needs all of them."""

    def __init__(self, experts: Sequence[Expert]) -> None:
        self._parts: dict[str, int] = {}
        self._exact: defaultdict[str, set[int]] = defaultdict(set)
        self._compound: defaultdict[str, set[int]] = defaultdict(set)
        self._entries: list[list[tuple[str, frozenset[int]]]] = []  # per expert: (label, part ids)
        for expert in experts:
            keywords = [words(k) for k in expert.keywords]
            self._entries.append([(" ".join(k), frozenset(map(self._part, k))) for k in keywords if k])
        self._keyworded = [(i, entries) for i, entries in enumerate(self._entries) if entries]  # experts with some
        self._word_hits = lru_cache(maxsize=1 << 16)(self._hits)

    def _part(self, word: str) -> int:
        if word not in self._parts:
            pid = self._parts[word] = len(self._parts)
            for form in forms(word):
                self._exact[form].add(pid)
                if len(word) >= MIN_COMPOUND_KEYWORD:
                    self._compound[form].add(pid)
        return self._parts[word]

    def _hits(self, word: str) -> frozenset[int]:
        hits: set[int] = set()
        for form in forms(word):
            hits |= self._exact.get(form, set())
        for part in compound_parts(word):
            hits |= self._compound.get(part, set())
        return frozenset(hits)

    def matches(self, text_words: Iterable[str]) -> dict[int, tuple[str, ...]]:
        """Expert index -> labels of the keywords the words match."""
        hits: set[int] = set()
        for word in set(text_words):
            hits |= self._word_hits(word)
        out: dict[int, tuple[str, ...]] = {}
        for i, entries in self._keyworded:
            labels = tuple(label for label, parts in entries if parts <= hits)
            if labels:
                out[i] = labels
        return out


class _Profiles:
    """Character n-gram index over each expert's concatenated history (views 1 and 2)."""

    def __init__(self, experts: int) -> None:
        # n-gram -> (expert ids ascending, counts in the profile, centroid components, slots in `_components`)
        self._postings: dict[str, tuple[array, array, array, array]] = {}
        # each profile's centroid components in the order its n-grams came (the norm's summation order);
        # a posting's slot says where its component sits, so an update needs no search (issue 17)
        self._components: list[array] = [array("d") for _ in range(experts)]
        self._length = [0] * experts  # n-grams in each profile
        self._centroid_norm = [0.0] * experts
        self._profiles = 0
        self._total_length = 0
        self._bm25_norms: np.ndarray | list = []  # derived from the above: emptied on every change

    def add(self, expert: int, docs: list[list[tuple[str, ...]]]) -> None:
        """Add answers (each a list of its words' n-grams) to one profile, in order."""
        totals: dict[str, list] = {}  # n-gram -> [count to add, new centroid component]
        size = 0
        for doc in docs:
            counts = Counter(g for grams in doc for g in grams)
            size += counts.total()
            for gram, weight in _unit(counts).items():
                entry = totals.get(gram)
                if entry is None:
                    postings = self._postings.get(gram)
                    pos, component = -1, 0.0  # pos: where the expert is (or goes) in the gram's postings
                    if postings is not None:
                        pos = bisect_left(postings[0], expert)
                        if pos < len(postings[0]) and postings[0][pos] == expert:
                            component = postings[2][pos]
                    entry = totals[gram] = [0, component, pos]
                entry[0] += counts[gram]
                entry[1] += weight
        if not size:
            return
        self._profiles += not self._length[expert]
        self._length[expert] += size
        self._total_length += size
        self._bm25_norms = []
        components = self._components[expert]
        for gram, (count, component, pos) in totals.items():
            postings = self._postings.get(gram)
            if postings is None:  # (each gram's postings change once per call: `pos` is still right)
                postings = self._postings[gram] = (array("I"), array("I"), array("d"), array("I"))
                pos = 0
            ids, tfs, centroid, slots = postings
            if pos < len(ids) and ids[pos] == expert:
                tfs[pos] += count
                centroid[pos] = component
                components[slots[pos]] = component
            else:
                ids.insert(pos, expert)
                tfs.insert(pos, count)
                centroid.insert(pos, component)
                slots.insert(pos, len(components))
                components.append(component)
        self._centroid_norm[expert] = math.hypot(*self._components[expert])

    def views(self, text_words: list[str]) -> tuple[list[float], list[float]]:
        """BM25 and centroid scores of the text, indexed by expert.

        N-grams found in every profile (when there are several) cannot tell
        experts apart and are skipped; in practice they are most of a text's
        n-grams, so this is what keeps a decision fast."""
        n = self._profiles
        bm25 = [0.0] * len(self._length)
        inner = [0.0] * len(self._length)
        if not n:
            return bm25, inner
        if not len(self._bm25_norms):
            average = self._total_length / n
            self._bm25_norms = np.array([_K1 * (1 - _B + _B * length / average) for length in self._length])
        norms = self._bm25_norms
        if len(bm25) < _NUMPY_FROM:
            return self._views_loop(text_words, n, norms.tolist(), bm25, inner)
        # One sum over the postings of all the question's grams at once (issue 17): the postings are laid end
        # to end in gram order and `bincount` adds each expert's contributions in that order, from zero, with
        # the same operations per posting as the loop, so the floats are identical to it.
        ids_l, tfs_l, centroid_l, saturations, weights, lengths = [], [], [], [], [], []
        for (ids_a, tfs_a, centroid_a, _), saturation, weight in self._weighted_postings(text_words, n):
            ids_l.append(np.frombuffer(ids_a, dtype=np.uint32))
            tfs_l.append(np.frombuffer(tfs_a, dtype=np.uint32))
            centroid_l.append(np.frombuffer(centroid_a, dtype=np.float64))
            saturations.append(saturation)
            weights.append(weight)
            lengths.append(len(ids_a))
        if not lengths:
            return np.zeros(len(bm25)), np.zeros(len(inner))  # type: ignore[return-value]
        ids = np.concatenate(ids_l)
        tfs = np.concatenate(tfs_l).astype(np.float64)
        centroid = np.concatenate(centroid_l)
        del ids_l, tfs_l, centroid_l  # no buffer of the postings may outlive the call: add() resizes them
        bm25_v = np.bincount(ids, np.repeat(saturations, lengths) * tfs / (tfs + norms[ids]), len(bm25))
        inner_v = np.bincount(ids, np.repeat(weights, lengths) * centroid, len(inner))
        scaled = np.zeros(len(inner))
        np.divide(inner_v, np.array(self._centroid_norm), out=scaled, where=inner_v != 0)
        return bm25_v, scaled  # type: ignore[return-value]

    def _weighted_postings(self, text_words: list[str], n: int):
        """Each of the question's grams that some (not every) expert has: its postings and its BM25
        saturation and centroid weights, in the order both `views` paths sum them (so their floats agree)."""
        for gram, count in Counter(g for w in text_words for g in _grams(w)).items():
            postings = self._postings.get(gram)
            if postings is None or len(postings[0]) == n > 1:
                continue
            idf = _idf(n, len(postings[0]))
            yield postings, (1.0 + math.log(count)) * idf * (_K1 + 1), (1.0 + math.log(count)) * idf * idf

    def _views_loop(self, text_words: list[str], n: int, norms, bm25: list[float],
                    inner: list[float]) -> tuple[list[float], list[float]]:
        """`views` for a few experts, where numpy's cost per call outweighs short postings."""
        for (ids, tfs, centroid, _), saturation, weight in self._weighted_postings(text_words, n):
            for e, tf, c in zip(ids, tfs, centroid):
                bm25[e] += saturation * tf / (tf + norms[e])
                inner[e] += weight * c
        return bm25, [s / norm if s else 0.0 for s, norm in zip(inner, self._centroid_norm)]


class _Questions:
    """Word-stem index over the most recent PRECEDENT_WINDOW past questions (view 3).

    Questions are numbered in the order they came; each stem's postings list them in that order, so
    the questions that fell out of the window are a prefix of every list, cut off as they age (issue
    17: memory bounded by the window, not the history). The scores are summed on arrays, stem by
    stem in the same order and with the same operations as the exact MaxScore loop before (same
    floats, same neighbours)."""

    def __init__(self) -> None:
        self._postings: dict[str, tuple[array, array]] = {}  # stem -> (question numbers, unit weights)
        self._max_weight: dict[str, float] = {}
        self._owner = array("I")  # question number % PRECEDENT_WINDOW -> expert
        self._count = 0  # questions ever added

    def add(self, expert: int, question_words: list[str]) -> None:
        if not question_words:
            return
        qid = self._count
        self._count += 1
        if len(self._owner) < PRECEDENT_WINDOW:
            self._owner.append(expert)
        else:
            self._owner[qid % PRECEDENT_WINDOW] = expert
        low = self._count - PRECEDENT_WINDOW
        for term, weight in _unit(Counter(stem(w) for w in question_words)).items():
            postings = self._postings.get(term)
            if postings is None:
                postings = self._postings[term] = (array("I"), array("d"))
            elif low > 0 and postings[0] and postings[0][0] < low:
                self._trim(postings, low)
            postings[0].append(qid)
            postings[1].append(weight)
            self._max_weight[term] = max(weight, self._max_weight.get(term, 0.0))
        if low > 0 and low % PRECEDENT_WINDOW == 0:  # once per window: stems no new question has used
            for postings in self._postings.values():
                self._trim(postings, low)

    @staticmethod
    def _trim(postings: tuple[array, array], low: int) -> None:
        """Drop the questions numbered below `low` (out of the window) once they are a quarter of the list."""
        ids, weights = postings
        cut = bisect_left(ids, low)
        if cut and cut * 4 >= len(ids):
            del ids[:cut]
            del weights[:cut]

    def _live(self, term: str, low: int) -> tuple[array, array, int] | None:
        postings = self._postings.get(term)
        if postings is None:
            return None
        start = bisect_left(postings[0], low) if low > 0 else 0
        return (postings[0], postings[1], start) if start < len(postings[0]) else None

    def nearest(self, text_words: list[str]) -> tuple[dict[int, float], Counter[int]]:
        """Per expert: best similarity among the NEIGHBOURS nearest past
        questions, and how many of those they answered.

        Exact top-k by MaxScore: stems are taken in order of their largest
        possible contribution; once the rest cannot lift an unseen question
        into the top k, only the remaining candidates are completed."""
        m = min(self._count, PRECEDENT_WINDOW)
        low = self._count - PRECEDENT_WINDOW
        live = {}
        query = {}
        for t, c in Counter(stem(w) for w in text_words).items():
            found = self._live(t, low)
            if found is not None:
                live[t] = found
                query[t] = (1.0 + math.log(c)) * _idf(m, len(found[0]) - found[2]) ** 2
        terms = [t for _, t in sorted(((q * self._max_weight[t], t) for t, q in query.items()), reverse=True)]
        rest = list(accumulate((query[t] * self._max_weight[t] for t in reversed(terms)), initial=0.0))[::-1]
        if not terms:
            return {}, Counter()
        # Scores by question number modulo the window (unique among the questions in it).
        scores = np.zeros(max(m, 1))
        seen = np.zeros(max(m, 1), dtype=bool)
        found_l: list[np.ndarray] = []
        candidates = np.zeros(0, dtype=np.int64)  # question numbers scored so far
        i = 0
        while i < len(terms):
            if len(candidates) >= NEIGHBOURS and rest[i] * _SLACK < _kth(scores[candidates % PRECEDENT_WINDOW]):
                break
            ids_a, weights_a, start = live[terms[i]]
            ids = np.frombuffer(ids_a, dtype=np.uint32)[start:].astype(np.int64)
            slots = ids % PRECEDENT_WINDOW
            scores[slots] += query[terms[i]] * np.frombuffer(weights_a, dtype=np.float64)[start:]
            new = ~seen[slots]
            seen[slots[new]] = True
            found_l.append(ids[new])
            candidates = np.concatenate(found_l)
            i += 1
        for i in range(i, len(terms)):
            mine = scores[candidates % PRECEDENT_WINDOW]
            candidates = candidates[mine >= _kth(mine) - rest[i] * _SLACK]
            ids_a, weights_a, start = live[terms[i]]
            ids = np.frombuffer(ids_a, dtype=np.uint32)[start:]
            pos = np.searchsorted(ids, candidates)
            inside = pos < len(ids)
            hit = np.zeros(len(candidates), dtype=bool)
            hit[inside] = ids[pos[inside]] == candidates[inside]
            scores[candidates[hit] % PRECEDENT_WINDOW] += query[terms[i]] * np.frombuffer(
                weights_a, dtype=np.float64)[start:][pos[hit]]
            del ids
        mine = scores[candidates % PRECEDENT_WINDOW]
        order = np.lexsort((candidates, -mine))[:NEIGHBOURS]  # best first, ties by question number
        best: dict[int, float] = {}
        similar: Counter[int] = Counter()
        for d, s in zip(candidates[order].tolist(), mine[order].tolist()):
            e = self._owner[d % PRECEDENT_WINDOW]
            best[e] = max(best.get(e, 0.0), s)
            similar[e] += 1
        return best, similar


class _Evidence:
    """Which experts' histories contain each content stem (or compound part of 4+ letters).

    Each term's experts are a bit set (a Python int, bit e for expert e): memory grows with the
    vocabulary times the people, not with the history (issue 17)."""

    def __init__(self) -> None:
        self._experts: dict[str, int] = {}
        self._with_history = 0

    @property
    def with_history(self) -> set[int]:
        return set(_members(self._with_history))

    def add(self, expert: int, text_words: list[str]) -> None:
        bit = 1 << expert
        self._with_history |= bit
        experts = self._experts
        for term in _terms(tuple(sorted(set(text_words)))):
            experts[term] = experts.get(term, 0) | bit

    def _specific(self, text_words: list[str]):
        """(term, experts) of the text's terms that are evidence: not generic, in at most half the histories."""
        n = self._with_history.bit_count()
        most = n if n < 3 else n // 2
        for term in _terms(tuple(sorted(set(text_words)))):
            experts = self._experts.get(term, 0)
            if term not in GENERIC_STEMS and experts and experts.bit_count() <= most:
                yield term, experts

    def supported(self, text_words: list[str]) -> int:
        """The experts `support` names (what ranking needs) as a bit set, without collecting the terms."""
        out = 0
        for _, experts in self._specific(text_words):
            out |= experts
        return out

    def support(self, text_words: list[str]) -> dict[int, set[str]]:
        """Expert -> the specific terms of the text found in their history."""
        out: dict[int, set[str]] = {}
        for term, experts in self._specific(text_words):
            for e in _members(experts):
                out.setdefault(e, set()).add(term)
        return out


def _members(bits: int) -> list[int]:
    """The positions of the set bits, ascending."""
    out = []
    while bits:
        low = bits & -bits
        out.append(low.bit_length() - 1)
        bits ^= low
    return out


def _mask(bits: int, n: int) -> np.ndarray:
    """A bit set as a boolean array of n places."""
    packed = np.frombuffer(bits.to_bytes((n + 7) // 8, "little"), dtype=np.uint8)
    return np.unpackbits(packed, count=n, bitorder="little").astype(bool)


@lru_cache(maxsize=1 << 14)
def _word_terms(word: str) -> frozenset[str]:
    terms = content_stems([word])
    if terms:
        terms |= {stem(p) for p in compound_parts(word) if len(p) >= 4} - STOP_STEMS
    return frozenset(terms)


def _terms(unique_words: tuple[str, ...]) -> set[str]:
    out: set[str] = set()
    for w in unique_words:
        out |= _word_terms(w)
    return out


def is_generic(text_words: list[str]) -> bool:
    """Only generic content words (or none): a question several colleagues could answer."""
    return content_stems(text_words) <= GENERIC_STEMS


def _kth(scores: np.ndarray) -> float:
    """The NEIGHBOURS-th largest score (there are at least that many)."""
    return float(np.partition(scores, len(scores) - NEIGHBOURS)[len(scores) - NEIGHBOURS])


class Router:
    """Ranks experts for a text; see the module docstring for the score."""

    def __init__(self, experts: Sequence[Expert], history: Iterable[HistoryAnswer] = ()) -> None:
        self._emails = [expert.email for expert in experts]
        self._order: np.ndarray | None = None  # derived from the emails when first needed
        self._index: dict[str, int] = {}
        for i, email in enumerate(self._emails):
            if self._index.setdefault(_key(email), i) != i:
                raise ValueError(f"duplicate expert email: {email}")
        self._keywords = _Keywords(experts)
        self._profiles = _Profiles(len(self._emails))
        self._questions = _Questions()
        self._evidence = _Evidence()
        self.add_history(history)

    # A saved index (bot/core/router_index.py) keeps the history views; the keywords come from the
    # configuration at every start, so a changed expertise list needs no rebuild.
    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        del state["_keywords"]
        state["_order"] = None
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._keywords = _Keywords(())

    def emails(self) -> tuple[str, ...]:
        return tuple(self._emails)

    def use_keywords(self, experts: Sequence[Expert]) -> None:
        """Take the experts' keywords (same people in the same order as the index was built for)."""
        if [_key(e.email) for e in experts] != [_key(e) for e in self._emails]:
            raise ValueError("the experts differ from the ones the index was built for")
        self._emails = [expert.email for expert in experts]
        self._order: np.ndarray | None = None  # derived from the emails when first needed
        self._keywords = _Keywords(experts)

    def add_history(self, answers: Iterable[HistoryAnswer]) -> None:
        """Index past answers; answers by unknown colleagues are ignored."""
        docs: defaultdict[int, list[list[tuple[str, ...]]]] = defaultdict(list)
        for answer in answers:
            expert = self._index.get(_key(answer.answered_by))
            if expert is not None:
                question = words(answer.question)
                both = question + words(answer.answer)
                docs[expert].append([_grams(w) for w in both])
                self._questions.add(expert, question)
                self._evidence.add(expert, both)
        for expert, texts in docs.items():
            self._profiles.add(expert, texts)

    def rank(self, text: str, limit: int | None = None) -> list[Ranked]:
        """Experts with a score above zero, best first, ties by email."""
        text_words = words(text)
        if not text_words:
            return []
        keywords = self._keywords.matches(text_words)
        if not keywords and is_generic(text_words):
            return []
        n = len(self._emails)
        evidence = self._evidence.supported(text_words)
        history: list[float] | np.ndarray = [0.0] * n
        if evidence:
            precedent, similar = self._questions.nearest(text_words)
            precedent = [e for e in precedent if evidence >> e & 1]
            similar = Counter({e: k for e, k in similar.items() if evidence >> e & 1})
            if n >= _NUMPY_FROM:  # the same arithmetic on arrays (identical floats)
                mask = _mask(evidence, n)
                history = np.zeros(n)
                for view in self._profiles.views(text_words):
                    masked = np.where(mask, view, 0.0)
                    top = masked.max()
                    if top:
                        history = history + masked / top / 2
                # The precedent view explains ("har svarat på 3 liknande frågor") but no longer scores:
                # it did not win on question sets it was not designed on (docs/quality.md).
                history[precedent] = np.maximum(history[precedent], 1e-9)
            else:
                for view in self._profiles.views(text_words):
                    view = [s if evidence >> e & 1 else 0.0 for e, s in enumerate(view)]
                    top = max(view, default=0.0)
                    if top:
                        history = [h + s / top / 2 for h, s in zip(history, view)]
                for e in precedent:
                    history[e] = max(history[e], 1e-9)
        else:
            similar = Counter()
        scores = np.array(history, dtype=np.float64)
        for e, labels in keywords.items():
            scores[e] += len(labels)
        ranked = np.flatnonzero(scores)
        order = ranked[np.lexsort((self._email_order()[ranked], -scores[ranked]))]  # best first, ties by email
        if limit is not None:
            order = order[:limit]
        emails, values, has_history = self._emails, scores.tolist(), np.asarray(history) > 0
        return [Ranked(emails[e], values[e], _reasons(keywords.get(e, ()), similar[e], bool(has_history[e])))
                for e in order.tolist()]

    def _email_order(self) -> np.ndarray:
        """Each expert's place in the order of their emails (ranking's tie-break)."""
        if self._order is None:
            order = np.zeros(len(self._emails), dtype=np.int64)
            order[sorted(range(len(self._emails)), key=self._emails.__getitem__)] = np.arange(len(self._emails))
            self._order = order
        return self._order


_SIMILAR_TO_PAST = ("liknar tidigare svar",)


@lru_cache(maxsize=1 << 12)
def _reasons(keywords: tuple[str, ...], similar: int, history: bool) -> tuple[str, ...]:
    if not keywords and not similar:
        return _SIMILAR_TO_PAST if history else ()
    reasons = [f"matchade {', '.join(keywords)}"] if keywords else []
    if similar:
        reasons.append(f"har svarat på {similar} liknande {'fråga' if similar == 1 else 'frågor'}")
    elif history:
        reasons.append(_SIMILAR_TO_PAST[0])
    return tuple(reasons)
