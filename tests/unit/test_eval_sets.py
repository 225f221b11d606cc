"""The evaluation sets of issue 15: size, coverage and the recorded split."""

from __future__ import annotations

from collections import Counter

from tests.perf.classify_eval import EVAL_PATH, SPLITS, load, split_of

KNOWN_TAGS = {
    "question", "synpunkt", "crisis", "removal", "offensive_personal_data", "personal_attack", "threat",
    "confidential", "political", "authority_advice", "profanity", "no_reply_needed",
}


def test_eval_set_size_and_coverage() -> None:
    rows = load(EVAL_PATH)
    hard = [r for r in rows if r.get("hard_negative_for")]
    assert len(rows) - len(hard) >= 300 and len(hard) >= 100
    assert len({r["text"] for r in rows}) == len(rows)
    tags = Counter(t for r in rows for t in r["tags"])
    assert set(tags) == KNOWN_TAGS and min(tags.values()) >= 10
    for r in hard:
        assert set(r["hard_negative_for"]) <= KNOWN_TAGS
        assert not set(r["hard_negative_for"]) & set(r["tags"]), r["text"]


def test_split_is_the_recorded_procedure() -> None:
    rows = load(EVAL_PATH)
    assert all(r["split"] == split_of(r["text"]) for r in rows)
    parts = Counter(r["split"] for r in rows)
    assert set(parts) == set(SPLITS) and parts["heldout"] >= 100
