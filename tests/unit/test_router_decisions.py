"""Issue 17 point 1: the fast router decides exactly as the scoring before it.

`tests/data/router_decisions.json` holds the rankings the router gave before the issue 17 redesign
(per-term postings summed with numpy, the precedent view on arrays, evidence as bit sets), at commit
44e886c, on fixed histories: pseudo-words (`routing_swefaq.synthetic`) and real Swedish sentences
(the example municipality's questions and answers, `tests/data/routing_ekby.jsonl`), with the
citizens' questions of `tests/data/labelled_comments.jsonl` routed. Both the numpy path (from 64
people) and the plain loop are covered. Regenerate only on purpose:

    python -m tests.unit.test_router_decisions > tests/data/router_decisions.json
"""

from __future__ import annotations

import json
import math
import random
import sys
from pathlib import Path

import pytest

from bot.core.routing import Expert, HistoryAnswer, Router
from tests.perf.routing_swefaq import synthetic

DATA = Path(__file__).resolve().parents[1] / "data"
GOLDEN = DATA / "router_decisions.json"
TOP = 8  # places of each ranking kept (and the number of people ranked)


def _jsonl(name: str) -> list[dict]:
    return [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def real(people: int, answers: int, seed: int) -> tuple[list[Expert], list[HistoryAnswer], list[str]]:
    """People each working mostly on one colleague's field of the example municipality, real sentences."""
    topics: dict[str, list[tuple[str, str]]] = {}
    for r in _jsonl("routing_ekby.jsonl"):
        if r.get("person"):
            topics.setdefault(r["person"], []).append((r["question"], r["answer"]))
    pools = [topics[k] for k in sorted(topics)]
    rng = random.Random(seed)
    staff = [Expert(f"person{i:03d}@example.se") for i in range(people)]
    home = [(i % len(pools), (i * 5 + 2) % len(pools)) for i in range(people)]
    history = []
    for _ in range(answers):
        p = rng.randrange(people)
        pool = pools[home[p][0] if rng.random() < 0.7 else home[p][1]]
        (q, a), (q2, _) = rng.choice(pool), rng.choice(pool)
        history.append(HistoryAnswer(q + (" " + q2 if rng.random() < 0.3 else ""), a, staff[p].email))
    questions = [r["text"] for r in _jsonl("labelled_comments.jsonl") if "question" in r.get("tags", [])]
    return staff, history, questions[:120]


CASES = {
    "synthetic-120": lambda: (lambda s, h, q: (s, h, q[:60]))(*synthetic(experts=120, answers=3000, seed=11)),
    "synthetic-20": lambda: (lambda s, h, q: (s, h, q[:60]))(*synthetic(experts=20, answers=800, seed=4)),
    "real-80": lambda: real(80, 2500, seed=17),
    "real-12": lambda: real(12, 400, seed=5),
}


def decisions(router: Router, questions: list[str]) -> list[dict]:
    out = []
    for q in questions:
        ranked = router.rank(q)
        out.append({"ranked": len(ranked),
                    "top": [[r.email, r.score.hex(), list(r.reasons)] for r in ranked[:TOP]]})
    return out


@pytest.mark.parametrize("case", sorted(CASES))
def test_rankings_equal_the_scoring_before_the_redesign(case: str) -> None:
    staff, history, questions = CASES[case]()
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))[case]
    got = decisions(Router(staff, history), questions)
    assert len(got) == len(expected)
    assert sum(bool(e["top"]) for e in expected) > len(expected) // 3  # the case ranks people for many questions
    for question, g, e in zip(questions, got, expected):
        assert g["ranked"] == e["ranked"], question
        assert [x[0] for x in g["top"]] == [x[0] for x in e["top"]], question  # same people in the same order
        assert [x[2] for x in g["top"]] == [x[2] for x in e["top"]], question  # same reasons
        for (_, gs, _), (_, es, _) in zip(g["top"], e["top"]):
            assert math.isclose(float.fromhex(gs), float.fromhex(es), rel_tol=1e-12, abs_tol=1e-15), question


if __name__ == "__main__":
    json.dump({name: decisions(Router(s, h), q) for name, (s, h, q) in ((n, c()) for n, c in sorted(CASES.items()))},
              sys.stdout, ensure_ascii=False, separators=(",", ":"))
    sys.stdout.write("\n")
