"""Evaluate routing (rule Q3) against baselines on held-apart questions, and time it at scale.

    python tests/perf/routing_swefaq.py [DATA]     # the 5-fold protocol of shared/data/README.md (one line)
    python tests/perf/routing_swefaq.py --compare  # per-method figures on every question set (issue 15)
    python tests/perf/routing_swefaq.py --scale    # synthetic timing: 10/100/1,000 experts, 100k answers

Protocol: one colleague per category; fold k = the lines with i % 5 == k; the
other folds' (question, answer) pairs are history answered by the colleague of
their category; every question of fold k is routed on history alone (no
keywords). Prints top-1 and top-3 accuracy and milliseconds per decision.

--compare runs the same folds on four question sets: SweFAQ as a whole (the set
the router was designed on), SweFAQ split by its `source` field (Socialstyrelsen
and Västra Götalandsregionen, each cross-validated on its own lines), and
tests/data/routing_ekby.jsonl, questions to the example municipality's
colleagues written from their expertise areas in config/example.toml (also
with the configured keywords, which only the router uses). Methods on the same
folds: the router; BM25 (k1 1.2, b 0.75) over character 3-5-grams within words
of each colleague's concatenated history; TF-IDF (sublinear tf, smoothed idf)
character 3-5-gram cosine against the same profiles. Paired: for each question,
whether the router's top-1 is right and the baseline's is not (win) or the
reverse (loss), with an exact two-sided sign test. Questions with no colleague
(generic ones: handling time, fee) are right only when nobody is ranked, which
sends them to the account's responsible person.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import resource
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.core.routing import Expert, HistoryAnswer, Router
from bot.core.textnorm import char_ngrams, words

DEFAULT_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "swefaq_dev.jsonl"
FOLDS = 5


EKBY = Path(__file__).resolve().parents[1] / "data" / "routing_ekby.jsonl"
EXAMPLE_CONFIG = Path(__file__).resolve().parents[2] / "config" / "example.toml"


def _colleague(category: object) -> str:
    return f"kategori-{category}@example.se"


def evaluate(rows: Sequence[dict]) -> tuple[float, float, float]:
    """Top-1 accuracy, top-3 accuracy and ms per decision under the protocol."""
    experts = [Expert(_colleague(c)) for c in sorted({r["category_id"] for r in rows})]
    top1 = top3 = 0
    elapsed = 0.0
    for fold in range(FOLDS):
        history = [
            HistoryAnswer(r["question"], r["candidate_answers"][r["label"]], _colleague(r["category_id"]))
            for i, r in enumerate(rows)
            if i % FOLDS != fold
        ]
        router = Router(experts, history)
        for r in rows[fold::FOLDS]:
            start = time.perf_counter()
            ranked = router.rank(r["question"])
            elapsed += time.perf_counter() - start
            emails = [x.email for x in ranked[:3]]
            top1 += emails[:1] == [_colleague(r["category_id"])]
            top3 += _colleague(r["category_id"]) in emails
    return top1 / len(rows), top3 / len(rows), 1000 * elapsed / len(rows)


_SYLLABLES = "ba bo da de fa fö ga gå ha hä ka kom la lä ma mö na ne pa på ra rä sa sö ta tä va".split()
_ENDINGS = ["", "en", "et", "ar", "er", "na", "ning", "het", "s"]


def synthetic(
    experts: int, answers: int, seed: int = 7, topics: int = 200
) -> tuple[list[Expert], list[HistoryAnswer], list[str]]:
    """Experts, history and 200 new questions from a 4,000-word pseudo-Swedish
    vocabulary. Each expert works on two of the topics (40 words each); text
    mixes topic words (40 %) with 60 common words of Zipf frequencies."""
    rng = random.Random(seed)
    vocabulary: set[str] = set()
    while len(vocabulary) < 4000:
        vocabulary.add("".join(rng.choices(_SYLLABLES, k=rng.randint(2, 4))) + rng.choice(_ENDINGS))
    common, rare = sorted(vocabulary)[:60], sorted(vocabulary)[60:]
    zipf = [1 / rank for rank in range(1, len(common) + 1)]
    topic_words = [rng.sample(rare, 40) for _ in range(topics)]

    def text(topic: int, low: int, high: int) -> str:
        picks = [
            rng.choice(topic_words[topic]) if rng.random() < 0.4 else rng.choices(common, zipf)[0]
            for _ in range(rng.randint(low, high))
        ]
        return " ".join(picks).capitalize() + "?"

    staff = [Expert(f"expert{i:04d}@example.se") for i in range(experts)]
    expertise = [rng.sample(range(topics), 2) for _ in staff]
    history = []
    for _ in range(answers):
        i = rng.randrange(experts)
        topic = rng.choice(expertise[i])
        history.append(HistoryAnswer(text(topic, 6, 14), text(topic, 20, 50), staff[i].email))
    return staff, history, [text(rng.randrange(topics), 6, 14) for _ in range(200)]


def _ms_per_decision(router: Router, questions: Sequence[str], limit: int | None) -> float:
    start = time.perf_counter()
    for q in questions:
        router.rank(q, limit)
    return 1000 * (time.perf_counter() - start) / len(questions)


def scale(answers: int = 100_000, passes: int = 3) -> None:
    """Build time, then ms per decision (best of `passes` runs over 200 new
    questions), for every expert with a score and for the best five."""
    for n in (10, 100, 1_000):
        staff, history, questions = synthetic(n, answers)
        start = time.perf_counter()
        router = Router(staff, history)
        built = time.perf_counter() - start
        everyone = min(_ms_per_decision(router, questions, None) for _ in range(passes))
        top5 = min(_ms_per_decision(router, questions, 5) for _ in range(passes))
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"experts={n:5d} history={answers:,} build={built:.1f}s "
            f"ms/decision={everyone:.2f} (limit=5: {top5:.2f}) peak-rss={rss:.0f}MB"
        )


# --------------------------------------------------------------------------- baselines (issue 15)


def _profile_grams(text: str) -> list[str]:
    return [g for w in words(text) for g in char_ngrams(w)]


class _Baseline:
    """A baseline ranker over each colleague's concatenated history (questions and answers)."""

    def __init__(self, experts: Sequence[Expert], history: Sequence[HistoryAnswer]) -> None:
        self.emails = [e.email for e in experts]
        counts: dict[str, Counter[str]] = {e: Counter() for e in self.emails}
        for a in history:
            if a.answered_by in counts:
                counts[a.answered_by].update(_profile_grams(a.question + " " + a.answer))
        self.profiles = {e: c for e, c in counts.items() if c}
        self.df: Counter[str] = Counter(g for c in self.profiles.values() for g in c)
        self.n = len(self.profiles)

    def rank(self, text: str) -> list[str]:
        scores = self.scores(Counter(_profile_grams(text)))
        return [e for s, e in sorted(((-s, e) for e, s in scores.items() if s > 0))]


class BM25Char(_Baseline):
    def scores(self, query: Counter[str]) -> dict[str, float]:
        if not self.n:
            return {}
        lengths = {e: c.total() for e, c in self.profiles.items()}
        average = sum(lengths.values()) / self.n
        out = {}
        for e, c in self.profiles.items():
            norm = 1.2 * (1 - 0.75 + 0.75 * lengths[e] / average)
            out[e] = sum(
                math.log(1 + (self.n - self.df[g] + 0.5) / (self.df[g] + 0.5)) * c[g] * 2.2 / (c[g] + norm)
                for g in query if g in c
            )
        return out


class TfidfChar(_Baseline):
    def _vector(self, counts: Counter[str]) -> dict[str, float]:
        v = {g: (1 + math.log(c)) * (math.log((1 + self.n) / (1 + self.df[g])) + 1) for g, c in counts.items()}
        norm = math.hypot(*v.values()) or 1.0
        return {g: x / norm for g, x in v.items()}

    def scores(self, query: Counter[str]) -> dict[str, float]:
        if not hasattr(self, "_vectors"):
            self._vectors = {e: self._vector(c) for e, c in self.profiles.items()}
        q = self._vector(query)
        return {e: sum(w * v.get(g, 0.0) for g, w in q.items()) for e, v in self._vectors.items()}


@dataclass
class Outcome:
    top1: list[bool] = field(default_factory=list)
    top3: list[bool] = field(default_factory=list)
    to_account: list[bool] = field(default_factory=list)  # nobody ranked: the account's responsible takes it


def _right(ranked: list[str], gold: str | None, k: int) -> bool:
    return not ranked if gold is None else gold in ranked[:k]


def cross_validate(items: Sequence[tuple[str, str, str | None]], experts: Sequence[Expert]) -> dict[str, Outcome]:
    """items: (question, answer, colleague or None). Same folds (i % 5) for every method."""
    plain = [Expert(e.email) for e in experts]
    methods: dict[str, Callable[[list[HistoryAnswer]], Callable[[str], list[str]]]] = {
        "router": lambda h: (lambda r: lambda q: [x.email for x in r.rank(q)])(Router(plain, h)),
        "bm25-char": lambda h: BM25Char(plain, h).rank,
        "tfidf-char": lambda h: TfidfChar(plain, h).rank,
    }
    if any(e.keywords for e in experts):
        methods["router+keywords"] = lambda h: (lambda r: lambda q: [x.email for x in r.rank(q)])(Router(experts, h))
    n = len(items)
    out = {name: Outcome([False] * n, [False] * n, [False] * n) for name in methods}  # in item order
    for fold in range(FOLDS):
        history = [HistoryAnswer(q, a, who) for i, (q, a, who) in enumerate(items) if i % FOLDS != fold and who]
        for name, build in methods.items():
            rank = build(history)
            for i in range(fold, n, FOLDS):
                q, _, who = items[i]
                ranked = rank(q)
                out[name].top1[i] = _right(ranked, who, 1)
                out[name].top3[i] = _right(ranked, who, 3)
                out[name].to_account[i] = not ranked
    return out


def sign_test(wins: int, losses: int) -> float:
    """Exact two-sided binomial p-value for wins vs losses (ties dropped)."""
    n = wins + losses
    if not n:
        return 1.0
    k = min(wins, losses)
    return min(1.0, 2 * sum(math.comb(n, i) for i in range(k + 1)) / 2**n)


def question_sets() -> list[tuple[str, list[tuple[str, str, str | None]], list[Expert]]]:
    rows = [json.loads(line) for line in DEFAULT_DATA.read_text(encoding="utf-8").splitlines() if line.strip()]

    def faq(selected: list[dict]) -> tuple[list[tuple[str, str, str | None]], list[Expert]]:
        items = [(r["question"], r["candidate_answers"][r["label"]], _colleague(r["category_id"])) for r in selected]
        return items, [Expert(e) for e in sorted({who for _, _, who in items})]

    sets = [("swefaq (all, tuned on)", *faq(rows))]
    for source in sorted({r["meta"]["source"] for r in rows}):
        sets.append((f"swefaq {source}", *faq([r for r in rows if r["meta"]["source"] == source])))
    from bot.settings import load_settings

    people = load_settings(EXAMPLE_CONFIG).people.values()
    ekby = [json.loads(line) for line in EKBY.read_text(encoding="utf-8").splitlines() if line.strip()]
    sets.append(("ekby expertise areas", [(r["question"], r["answer"], r["person"]) for r in ekby],
                 [Expert(p.email, p.expertise) for p in people]))
    return sets


def compare() -> None:
    for name, items, experts in question_sets():
        generic = sum(who is None for _, _, who in items)
        print(f"\n{name}: {len(items)} questions ({generic} generic), {len(experts)} colleagues, 5 folds")
        results = cross_validate(items, experts)
        router = results["router"].top1
        for method, o in results.items():
            n = len(o.top1)
            wrong = sum(not right and not account for right, account in zip(o.top1, o.to_account))
            line = (
                f"  {method:<16} top-1 {sum(o.top1) / n:.3f}  top-3 {sum(o.top3) / n:.3f}"
                f"  to account {sum(o.to_account) / n:.3f}  wrong colleague {wrong / n:.3f}"
            )
            if method not in ("router", "router+keywords"):
                wins = sum(r and not b for r, b in zip(router, o.top1))
                losses = sum(b and not r for r, b in zip(router, o.top1))
                line += f"  router vs it: {wins} wins, {losses} losses, sign test p={sign_test(wins, losses):.3f}"
            print(line)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA, help="SweFAQ jsonl file")
    parser.add_argument("--scale", action="store_true", help="synthetic timing instead of SweFAQ")
    parser.add_argument("--compare", action="store_true", help="router against baselines on every question set")
    args = parser.parse_args(argv)
    if args.compare:
        compare()
        return
    if args.scale:
        scale()
        return
    rows = [json.loads(line) for line in args.data.read_text(encoding="utf-8").splitlines() if line.strip()]
    top1, top3, ms = evaluate(rows)
    print(f"questions={len(rows)} top-1={top1:.3f} top-3={top3:.3f} ms/decision={ms:.2f}")


if __name__ == "__main__":
    main()
