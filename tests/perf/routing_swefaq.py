"""Evaluate routing (rule Q3) on SweFAQ and time it at scale.

    python tests/perf/routing_swefaq.py [DATA]   # the 5-fold protocol of shared/data/README.md
    python tests/perf/routing_swefaq.py --scale  # synthetic timing: 10/100/1,000 experts, 100k answers

Protocol: one colleague per category; fold k = the lines with i % 5 == k; the
other folds' (question, answer) pairs are history answered by the colleague of
their category; every question of fold k is routed on history alone (no
keywords). Prints top-1 and top-3 accuracy and milliseconds per decision.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import time
from collections.abc import Sequence
from pathlib import Path

from bot.core.routing import Expert, HistoryAnswer, Router

DEFAULT_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "swefaq_dev.jsonl"
FOLDS = 5


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


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA, help="SweFAQ jsonl file")
    parser.add_argument("--scale", action="store_true", help="synthetic timing instead of SweFAQ")
    args = parser.parse_args(argv)
    if args.scale:
        scale()
        return
    rows = [json.loads(line) for line in args.data.read_text(encoding="utf-8").splitlines() if line.strip()]
    top1, top3, ms = evaluate(rows)
    print(f"questions={len(rows)} top-1={top1:.3f} top-3={top3:.3f} ms/decision={ms:.2f}")


if __name__ == "__main__":
    main()
