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
   the NEIGHBOURS most similar past questions overall. It explains a ranking
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

    def matches(self, text_words: Iterable[str]) -> dict[int, list[str]]:
        """Expert index -> labels of the keywords the words match."""
        hits: set[int] = set()
        for word in set(text_words):
            hits |= self._word_hits(word)
        out: dict[int, list[str]] = {}
        for i, entries in enumerate(self._entries):
            labels = [label for label, parts in entries if parts <= hits]
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
        # The same sums as a loop over every posting, a gram at a time in the same order and with the same
        # operations, so the floats are identical; numpy does each gram's postings at once (issue 17).
        bm25_v, inner_v = np.zeros(len(bm25)), np.zeros(len(inner))
        for (ids_a, tfs_a, centroid_a, _), saturation, weight in self._weighted_postings(text_words, n):
            ids = np.frombuffer(ids_a, dtype=np.uint32)
            tfs = np.frombuffer(tfs_a, dtype=np.uint32).astype(np.float64)
            bm25_v[ids] += saturation * tfs / (tfs + norms[ids])
            inner_v[ids] += weight * np.frombuffer(centroid_a, dtype=np.float64)
            del ids  # no buffer of the postings may outlive the call: add() resizes them
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
    """Word-stem index over past questions (view 3)."""

    def __init__(self) -> None:
        self._postings: dict[str, tuple[array, array]] = {}  # stem -> (question ids, unit weights)
        self._max_weight: dict[str, float] = {}
        self._owner = array("I")  # question id -> expert

    def add(self, expert: int, question_words: list[str]) -> None:
        if not question_words:
            return
        qid = len(self._owner)
        self._owner.append(expert)
        for term, weight in _unit(Counter(stem(w) for w in question_words)).items():
            postings = self._postings.get(term)
            if postings is None:
                postings = self._postings[term] = (array("I"), array("d"))
            postings[0].append(qid)
            postings[1].append(weight)
            self._max_weight[term] = max(weight, self._max_weight.get(term, 0.0))

    def nearest(self, text_words: list[str]) -> tuple[dict[int, float], Counter[int]]:
        """Per expert: best similarity among the NEIGHBOURS nearest past
        questions, and how many of those they answered.

        Exact top-k by MaxScore: stems are taken in order of their largest
        possible contribution; once the rest cannot lift an unseen question
        into the top k, only the remaining candidates are completed."""
        m = len(self._owner)
        query = {
            t: (1.0 + math.log(c)) * _idf(m, len(self._postings[t][0])) ** 2
            for t, c in Counter(stem(w) for w in text_words).items()
            if t in self._postings
        }
        terms = [t for _, t in sorted(((q * self._max_weight[t], t) for t, q in query.items()), reverse=True)]
        rest = list(accumulate((query[t] * self._max_weight[t] for t in reversed(terms)), initial=0.0))[::-1]
        scores: dict[int, float] = {}
        i = 0
        while i < len(terms) and (len(scores) < NEIGHBOURS or rest[i] * _SLACK >= _kth(scores)):
            ids, weights = self._postings[terms[i]]
            q = query[terms[i]]
            for d, w in zip(ids, weights):
                scores[d] = scores.get(d, 0.0) + q * w
            i += 1
        for i in range(i, len(terms)):
            floor = _kth(scores) - rest[i] * _SLACK
            scores = {d: s for d, s in scores.items() if s >= floor}
            ids, weights = self._postings[terms[i]]
            q = query[terms[i]]
            if len(ids) <= len(scores) * math.log2(len(ids) + 1):
                for d, w in zip(ids, weights):
                    if d in scores:
                        scores[d] += q * w
            else:
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


class _Evidence:
    """Which experts' histories contain each content stem (or compound part of 4+ letters)."""

    def __init__(self) -> None:
        self._experts: dict[str, set[int]] = {}
        self.with_history: set[int] = set()

    def add(self, expert: int, text_words: list[str]) -> None:
        self.with_history.add(expert)
        for term in _terms(tuple(sorted(set(text_words)))):
            self._experts.setdefault(term, set()).add(expert)

    def supported(self, text_words: list[str]) -> set[int]:
        """The experts `support` names (what ranking needs), without collecting the terms."""
        n = len(self.with_history)
        most = n if n < 3 else n // 2
        out: set[int] = set()
        for term in _terms(tuple(sorted(set(text_words)))):
            experts = self._experts.get(term, ())
            if term not in GENERIC_STEMS and experts and len(experts) <= most:
                out |= experts
        return out

    def support(self, text_words: list[str]) -> dict[int, set[str]]:
        """Expert -> the specific terms of the text found in their history."""
        n = len(self.with_history)
        most = n if n < 3 else n // 2
        out: dict[int, set[str]] = {}
        for term in _terms(tuple(sorted(set(text_words)))):
            experts = self._experts.get(term, ())
            if term in GENERIC_STEMS or not experts or len(experts) > most:
                continue
            for e in experts:
                out.setdefault(e, set()).add(term)
        return out


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


def _kth(scores: dict[int, float]) -> float:
    return heapq.nlargest(NEIGHBOURS, scores.values())[-1]


class Router:
    """Ranks experts for a text; see the module docstring for the score."""

    def __init__(self, experts: Sequence[Expert], history: Iterable[HistoryAnswer] = ()) -> None:
        self._emails = [expert.email for expert in experts]
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
        evidence = self._evidence.supported(text_words)
        history = [0.0] * len(self._emails)
        if evidence:
            precedent, similar = self._questions.nearest(text_words)
            precedent = {e: s for e, s in precedent.items() if e in evidence}
            similar = Counter({e: n for e, n in similar.items() if e in evidence})
            if len(history) >= _NUMPY_FROM:  # the same arithmetic on arrays (identical floats)
                mask = np.zeros(len(history), dtype=bool)
                mask[list(evidence)] = True
                summed = np.zeros(len(history))
                for view in self._profiles.views(text_words):
                    masked = np.where(mask, view, 0.0)
                    top = masked.max()
                    if top:
                        summed = summed + masked / top / 2
                history = summed.tolist()
            else:
                for view in self._profiles.views(text_words):
                    view = [s if e in evidence else 0.0 for e, s in enumerate(view)]
                    top = max(view, default=0.0)
                    if top:
                        history = [h + s / top / 2 for h, s in zip(history, view)]
            # The precedent view explains ("har svarat på 3 liknande frågor") but no longer scores:
            # it did not win on question sets it was not designed on (docs/quality.md).
            for e in precedent:
                history[e] = max(history[e], 1e-9)
        else:
            similar = Counter()
        scores = list(history)
        for e, labels in keywords.items():
            scores[e] += len(labels)
        order = [(-score, email, e) for e, (score, email) in enumerate(zip(scores, self._emails)) if score]
        best = sorted(order) if limit is None else heapq.nsmallest(limit, order)
        return [
            Ranked(email, -neg, _reasons(keywords.get(e, []), similar[e], history[e] > 0))
            for neg, email, e in best
        ]


_SIMILAR_TO_PAST = ("liknar tidigare svar",)


def _reasons(keywords: list[str], similar: int, history: bool) -> tuple[str, ...]:
    if not keywords and not similar:
        return _SIMILAR_TO_PAST if history else ()
    reasons = [f"matchade {', '.join(keywords)}"] if keywords else []
    if similar:
        reasons.append(f"har svarat på {similar} liknande {'fråga' if similar == 1 else 'frågor'}")
    elif history:
        reasons.append(_SIMILAR_TO_PAST[0])
    return tuple(reasons)
