"""docs/rules.md stays true: every rule id has a row, and every cited file and test exists."""

from __future__ import annotations

import re

from tests.conftest import REPO

RULE_IDS = (
    [f"C{i}" for i in range(1, 3)] + [f"A{i}" for i in range(1, 8)] + [f"O{i}" for i in range(1, 6)]
    + [f"Q{i}" for i in range(1, 9)] + [f"R{i}" for i in range(1, 8)] + [f"M{i}" for i in range(1, 6)]
    + [f"K{i}" for i in range(1, 3)]
)
TABLE = (REPO / "docs" / "rules.md").read_text(encoding="utf-8")
ROWS = {m.group(1): m.group(0) for m in re.finditer(r"^\| \*\*([A-Z]\d)\*\* \|.*$", TABLE, re.M)}


def test_every_rule_id_has_a_row():
    assert sorted(ROWS) == sorted(RULE_IDS)
    shared = REPO.parent / "shared" / "RULES.md"
    if shared.is_file():  # CI and developers have shared/ beside the repo: the ids must match it exactly
        ids = set(re.findall(r"^- \*\*([A-Z]\d)\*\*", shared.read_text(encoding="utf-8"), re.M))
        assert ids == set(RULE_IDS)


def test_every_cited_test_exists():
    """Cells cite `unit/test_x.py::test_a`, `::test_b` (same file as the previous citation) or a whole file."""
    checked = 0
    for row in ROWS.values():
        last_file = None
        for ref in re.findall(r"`([^`]+)`", row):
            m = re.fullmatch(r"((?:unit|scenario|meta|archive)/test_\w+\.py)?(?:::(\w+))?(?: \(.*\))?", ref)
            if not m or not (m.group(1) or m.group(2)):
                continue
            last_file = m.group(1) or last_file
            source = (REPO / "tests" / last_file).read_text(encoding="utf-8")
            if m.group(2):
                assert re.search(rf"^def {m.group(2)}\(", source, re.M), f"{last_file}::{m.group(2)} cited but missing"
            checked += 1
    assert checked > 80


def test_every_cited_code_file_exists():
    for path in set(re.findall(r"`(bot/[\w/]+\.py)", TABLE)):
        assert (REPO / path).is_file(), path
