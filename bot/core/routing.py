"""Route a citizen question to the colleague who knows most (rule Q3).

`Router.rank` orders the configured experts by

    score = (number of the expert's keywords the text matches) + history

Each matched keyword adds 1. History adds at most 1: the mean of three views
of the expert's past answers, each divided by its best value among the
experts for this text, so declared expertise outweighs history evidence and
history orders experts with equal keyword matches. The three views (all with
sublinear query weights 1 + ln tf) are:

1. volume: BM25 (k1 1.2, b 0.75) of the text's character 3-5-grams, taken
   within words, against the expert's profile, all their answered questions
   and answers concatenated;
2. typicality: the same n-grams' idf²-weighted inner product with the
   direction of the expert's centroid, the sum of their answers as unit
   vectors of sublinear n-gram counts (so each answer counts once, whatever
   its length);
3. precedent: the best tf-idf similarity of the text's word stems to the past
   questions the expert answered, among the `NEIGHBOURS` most similar past
   questions overall (exact top-k with MaxScore pruning).

Availability and workload are the caller's concern. Everything is kept in
inverted indexes updated in place by `add_history`; idf and the BM25 length
norms are derived from counters at query time, so adding history never
rebuilds anything and incremental construction equals batch construction.
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

from bot.core.textnorm import (
    MIN_COMPOUND_KEYWORD,
    char_ngrams,
    forms,
    is_head,
    is_modifier,
    stem,
    words,
)

NEIGHBOURS = 20
"""How many of the most similar past questions vote in the precedent view."""
_K1, _B = 1.2, 0.75
_MIN_PART = 3


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
    email: str
    score: float
    reasons: tuple[str, ...]


def _key(email: str) -> str:
    return email.strip().lower()


@lru_cache(maxsize=1 << 16)
def _grams(word: str) -> tuple[str, ...]:
    return tuple(char_ngrams(word))


@lru_cache(maxsize=1 << 16)
def _stem(word: str) -> str:
    return stem(word)


def _idf(n: int, df: int) -> float:
    return math.log(1.0 + (n - df + 0.5) / (df + 0.5))


def _unit(counts: Counter[str]) -> dict[str, float]:
    weights = {t: 1.0 + math.log(c) for t, c in counts.items()}
    norm = math.sqrt(sum(w * w for w in weights.values()))
    return {t: w / norm for t, w in weights.items()}


class _Keywords:
    """Keyword index: a text word matches a keyword word when they share a
    form (word or stem) or, for keywords of at least MIN_COMPOUND_KEYWORD
    letters, when the keyword is the first or last part of a compound."""

    def __init__(self, experts: Sequence[Expert]) -> None:
        self._parts: dict[str, int] = {}
        self._exact: defaultdict[str, set[int]] = defaultdict(set)
        self._compound: defaultdict[str, set[int]] = defaultdict(set)
        # per expert: (label, part ids) for each keyword
        self.keywords: list[list[tuple[str, frozenset[int]]]] = []
        for expert in experts:
            entries = []
            for keyword in expert.keywords:
                parts = frozenset(self._part(w) for w in words(keyword))
                if parts:
                    entries.append((" ".join(words(keyword)), parts))
            self.keywords.append(entries)
        self.word_hits = lru_cache(maxsize=1 << 16)(self._word_hits)

    def _part(self, word: str) -> int:
        if word not in self._parts:
            pid = self._parts[word] = len(self._parts)
            for form in forms(word):
                self._exact[form].add(pid)
                if len(word) >= MIN_COMPOUND_KEYWORD and len(form) >= _MIN_PART:
                    self._compound[form].add(pid)
        return self._parts[word]

    def _word_hits(self, word: str) -> frozenset[int]:
        hits: set[int] = set()
        for form in forms(word):
            hits |= self._exact.get(form, set())
            for i in range(_MIN_PART, len(form) - _MIN_PART + 1):
                head, tail = form[:i], form[i:]
                if head in self._compound and is_modifier(head, tail):
                    hits |= self._compound[head]
                if tail in self._compound and is_head(tail, head):
                    hits |= self._compound[tail]
        return frozenset(hits)

    def matches(self, text_words: Iterable[str]) -> dict[int, list[str]]:
        """Expert index -> labels of the keywords the words match."""
        hits: set[int] = set()
        for word in set(text_words):
            hits |= self.word_hits(word)
        out: dict[int, list[str]] = {}
        for i, entries in enumerate(self.keywords):
            labels = [label for label, parts in entries if parts <= hits]
            if labels:
                out[i] = labels
        return out


class Router:
    """Ranks experts for a text; see the module docstring for the score."""

    def __init__(self, experts: Sequence[Expert], history: Iterable[HistoryAnswer] = ()) -> None:
        self._experts = tuple(experts)
        self._index: dict[str, int] = {}
        for i, expert in enumerate(self._experts):
            if self._index.setdefault(_key(expert.email), i) != i:
                raise ValueError(f"duplicate expert email: {expert.email}")
        self._keywords = _Keywords(self._experts)
        n = len(self._experts)
        # profile index: n-gram -> (expert ids ascending, term counts, centroid weights)
        self._grams: dict[str, tuple[array, array, array]] = {}
        self._length = [0] * n  # n-grams in each profile
        self._norm2 = [0.0] * n  # squared length of each centroid
        self._profiles = 0
        self._total_length = 0
        self._bm25_norms: list[float] | None = None
        # question index: stem -> (question ids ascending, unit weights); question -> expert
        self._stems: dict[str, tuple[array, array]] = {}
        self._max_weight: dict[str, float] = {}
        self._owner = array("I")
        self.add_history(history)

    def add_history(self, answers: Iterable[HistoryAnswer]) -> None:
        """Index past answers; answers by unknown colleagues are ignored."""
        for answer in answers:
            expert = self._index.get(_key(answer.answered_by))
            if expert is not None:
                self._add_profile(expert, words(answer.question) + words(answer.answer))
                self._add_question(expert, words(answer.question))

    def _add_profile(self, expert: int, text_words: list[str]) -> None:
        counts = Counter(g for w in text_words for g in _grams(w))
        if not counts:
            return
        if not self._length[expert]:
            self._profiles += 1
        size = counts.total()
        self._length[expert] += size
        self._total_length += size
        self._bm25_norms = None
        for gram, weight in _unit(counts).items():
            postings = self._grams.get(gram)
            if postings is None:
                postings = self._grams[gram] = (array("I"), array("I"), array("d"))
            ids, tfs, centroid = postings
            pos = bisect_left(ids, expert)
            if pos == len(ids) or ids[pos] != expert:
                ids.insert(pos, expert)
                tfs.insert(pos, 0)
                centroid.insert(pos, 0.0)
            old = centroid[pos]
            tfs[pos] += counts[gram]
            centroid[pos] = old + weight
            self._norm2[expert] += centroid[pos] ** 2 - old**2

    def _add_question(self, expert: int, question_words: list[str]) -> None:
        if not question_words:
            return
        qid = len(self._owner)
        self._owner.append(expert)
        for term, weight in _unit(Counter(_stem(w) for w in question_words)).items():
            postings = self._stems.get(term)
            if postings is None:
                postings = self._stems[term] = (array("I"), array("d"))
            postings[0].append(qid)
            postings[1].append(weight)
            if weight > self._max_weight.get(term, 0.0):
                self._max_weight[term] = weight

    def rank(self, text: str, limit: int | None = None) -> list[Ranked]:
        """Experts with a score above zero, best first, ties by email."""
        text_words = words(text)
        if not text_words:
            return []
        keywords = self._keywords.matches(text_words)
        volume, typicality = self._profile_views(text_words)
        precedent, similar = self._precedent_view(text_words)
        views = [(v, max(v.values())) for v in (volume, typicality, precedent) if v]
        ranked = []
        for i in keywords.keys() | volume.keys() | typicality.keys() | precedent.keys():
            history = sum(v.get(i, 0.0) / top for v, top in views) / 3
            labels = keywords.get(i, [])
            reasons = [f"matchade {', '.join(labels)}"] if labels else []
            if similar.get(i):
                n = similar[i]
                reasons.append(f"har svarat på {n} liknande {'fråga' if n == 1 else 'frågor'}")
            elif history:
                reasons.append("liknar tidigare svar")
            ranked.append(Ranked(self._experts[i].email, len(labels) + history, tuple(reasons)))
        ranked.sort(key=lambda r: (-r.score, r.email))
        return ranked[:limit]

    def _profile_views(self, text_words: list[str]) -> tuple[dict[int, float], dict[int, float]]:
        """BM25 and centroid scores of the text's n-grams per expert."""
        n = self._profiles
        if not n:
            return {}, {}
        if self._bm25_norms is None:
            average = self._total_length / n
            self._bm25_norms = [_K1 * (1 - _B + _B * length / average) for length in self._length]
        norms = self._bm25_norms
        bm25: defaultdict[int, float] = defaultdict(float)
        centroid: defaultdict[int, float] = defaultdict(float)
        for gram, count in Counter(g for w in text_words for g in _grams(w)).items():
            postings = self._grams.get(gram)
            if postings is None:
                continue
            ids, tfs, weights = postings
            idf = _idf(n, len(ids)) * (1.0 + math.log(count))
            saturated, inner = idf * (_K1 + 1), idf * _idf(n, len(ids))
            for e, tf, w in zip(ids, tfs, weights):
                bm25[e] += saturated * tf / (tf + norms[e])
                centroid[e] += inner * w
        return bm25, {e: s / math.sqrt(self._norm2[e]) for e, s in centroid.items()}

    def _precedent_view(self, text_words: list[str]) -> tuple[dict[int, float], dict[int, int]]:
        """Per expert: best similarity among the NEIGHBOURS nearest past
        questions, and how many of those they answered."""
        m = len(self._owner)
        query = {
            t: (1.0 + math.log(c)) * _idf(m, len(self._stems[t][0])) ** 2
            for t, c in Counter(_stem(w) for w in text_words).items()
            if t in self._stems
        }
        bounds = sorted(((q * self._max_weight[t], t) for t, q in query.items()), reverse=True)
        scores: dict[int, float] = {}
        done = 0
        while done < len(bounds) and (len(scores) < NEIGHBOURS or _rest(bounds, done) >= _kth(scores)):
            ids, weights = self._stems[bounds[done][1]]
            q = query[bounds[done][1]]
            for d, w in zip(ids, weights):
                scores[d] = scores.get(d, 0.0) + q * w
            done += 1
        if done < len(bounds):  # no unseen question can reach the top: finish the candidates only
            floor = _kth(scores) - _rest(bounds, done)
            scores = {d: s for d, s in scores.items() if s >= floor}
            for _, term in bounds[done:]:
                ids, weights = self._stems[term]
                q = query[term]
                for d in scores:
                    pos = bisect_left(ids, d)
                    if pos < len(ids) and ids[pos] == d:
                        scores[d] += q * weights[pos]
        best: dict[int, float] = {}
        similar: Counter[int] = Counter()
        for d, s in heapq.nsmallest(NEIGHBOURS, scores.items(), key=lambda x: (-x[1], x[0])):
            e = self._owner[d]
            best[e] = max(best.get(e, 0.0), s)
            similar[e] += 1
        return best, similar


def _rest(bounds: list[tuple[float, str]], start: int) -> float:
    """Upper bound of what the terms from `start` on can still add (with slack for rounding)."""
    return sum(b for b, _ in bounds[start:]) * (1 + 1e-9)


def _kth(scores: dict[int, float]) -> float:
    return heapq.nlargest(NEIGHBOURS, scores.values())[-1]
