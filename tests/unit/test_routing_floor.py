"""Issue 10 point 10: a question that matches nobody above the floor goes to the account's
responsible person with the reason "ingen kollega matchade", not to a weak history match."""

from __future__ import annotations

import pytest

from bot.core import items, staff
from bot.core.routing import HistoryAnswer
from tests.conftest import local

SWIMMING = HistoryAnswer(
    "Hej! När öppnar simhallen efter jul?", "Hej! Simhallen öppnar igen den 2 januari. Välkommen!", "ida@example.se"
)


@pytest.mark.parametrize("text", ["hej", "Det brinner i ladan vid ån, vad gör vi?", "Vad kostar det?"])
def test_no_match_goes_to_the_accounts_responsible(harness, text):
    h = harness(local(2026, 12, 7, 10, 0))  # Monday
    items.add_history(h.ctx, [SWIMMING], [0], "test")
    account = h.ctx.accounts["facebook"]
    responsible, _ = staff.responsible_for(h.ctx, account, h.ctx.today())
    assignee, reason = items.choose_assignee(h.ctx, account, text, h.ctx.today())
    assert assignee == responsible and assignee != "ida@example.se"
    assert "ingen kollega matchade" in reason.lower()


def test_the_librarian_still_gets_what_she_answered_before(harness):
    h = harness(local(2026, 12, 7, 10, 0))
    items.add_history(h.ctx, [SWIMMING], [0], "test")
    assignee, reason = items.choose_assignee(h.ctx, h.ctx.accounts["facebook"], "Har simhallen öppet i jul?", h.ctx.today())
    assert assignee in {"ida@example.se", "erik@example.se"}  # Erik has "simhall" as expertise


def test_uppsikt_route_hej_goes_to_the_responsible_not_the_librarian(tmp_path, capsys):
    """The command line case of the issue: one answered swimming-hall question is no expertise."""
    import json

    from bot.cli import main

    db = tmp_path / "u.db"
    history = tmp_path / "h.csv"
    history.write_text(
        "question,answer,answered_by,answered_at\n"
        "Hej! När öppnar simhallen efter jul?,Hej! Simhallen öppnar igen den 2 januari.,ida@example.se,2026-03-14T10:30\n",
        encoding="utf-8",
    )
    assert main(["import-history", str(history), "--db", str(db)]) == 0
    capsys.readouterr()
    for text in ("hej", "Det brinner i skogen bakom ladan, vad gör vi?"):
        assert main(["route", text, "--json", "--db", str(db)]) == 0
        out = json.loads(capsys.readouterr().out)
        assert out["ranking"] == [] and out["assignee"] == "lena@example.se", text  # Facebook's responsible
        assert main(["route", text, "--db", str(db)]) == 0
        assert "Ingen kollega matchade" in capsys.readouterr().out
