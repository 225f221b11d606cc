"""Issue 16 point 3: no comment may freeze the process.

Every regular expression in classify, textnorm and parsing must run in time
linear in the text; these inputs made some of them quadratic (8,000 characters
of "a." blocked for 5-10 s, a 40,000-character word for 47 s). The bound is a
generous guard against a hang, not a speed measurement.
"""

from __future__ import annotations

import time

import pytest

from bot.core.classify import classify
from bot.core.routing import Expert, HistoryAnswer, Router
from bot.core.textnorm import compound_parts, words

SIZE = 40_000
BOUND_S = 5.0  # a linear pass over 40,000 characters takes milliseconds; the quadratic ones took minutes

HOSTILE = {
    "dotted": "a." * (SIZE // 2),
    "one word": "a" * SIZE,
    "hyphenated": "1-" * (SIZE // 2),
    "digits and spaces": "1 " * (SIZE // 2),
    "digits and two spaces": "1  " * (SIZE // 3),
    "at signs": "a@" * (SIZE // 2),
    "dotted at the end of an address": "a@" + "a." * (SIZE // 2),
    "www": "www." * (SIZE // 4),
    "verbs without intent": "döda " * (SIZE // 5),
    "verbs with intent, no target": "ska spräng " + "spräng " * (SIZE // 7),
    "insults": "idiot " * (SIZE // 6) + "?",
    "refusals in a question": "avslag " * (SIZE // 7) + "?",
    "names": "Anna Berg " * (SIZE // 10),
    "compound-like word": "skolbrand" * (SIZE // 9),
}


@pytest.mark.parametrize("name", HOSTILE)
def test_classify_is_linear_on_hostile_text(name: str) -> None:
    start = time.perf_counter()
    classify(HOSTILE[name])
    assert time.perf_counter() - start < BOUND_S, name


def test_routing_a_huge_word_does_not_hang() -> None:
    router = Router([Expert("a@example.se", ("bygglov",))], [HistoryAnswer("Badhuset?", "Öppet 9-17.", "a@example.se")])
    start = time.perf_counter()
    router.rank("x" * SIZE + " bygglov")
    compound_parts("y" * SIZE)
    words("z." * (SIZE // 2))
    assert time.perf_counter() - start < BOUND_S
