"""Issue 17 point 1: the router's saved index, its incremental update and the background warm-up."""

from __future__ import annotations

import dataclasses
import math
import threading

import pytest

from bot.bootstrap import build
from bot.clock import FakeClock
from bot.core import items, router_index, staff
from bot.core.forget import forget
from bot.core.routing import Expert, HistoryAnswer, Router
from bot.i18n import t
from bot.store.db import open_reader
from tests.conftest import local

HISTORY = [
    HistoryAnswer("Hur ansöker jag om ekonomiskt bistånd till hyran?", "Du fyller i ansökan om bistånd på webben.",
                  "sara@example.se"),
    HistoryAnswer("Kan jag få bistånd för tandvård?", "Ja, ekonomiskt bistånd kan gälla akut tandvård.",
                  "sara@example.se"),
    HistoryAnswer("När töms fettavskiljaren vid restaurangen?", "Fettavskiljare töms två gånger per år.",
                  "maria@example.se"),
    HistoryAnswer("Vem ansvarar för fettavskiljare i flerfamiljshus?", "Fastighetsägaren ansvarar för fettavskiljaren.",
                  "maria@example.se"),
]
LATER = [
    HistoryAnswer("Hur bokar jag tid för lekplatsbesiktning?", "Lekplatsbesiktning bokar du hos parkenheten.",
                  "gustav@example.se"),
]
QUESTIONS = ["Hur får jag ekonomiskt bistånd till hyran?", "Vem tömmer fettavskiljaren?",
             "När görs lekplatsbesiktning?", "Var bor älgen?"]


def _bot(settings, path, clock=None):
    return build(settings, clock=clock or FakeClock(local(2027, 3, 1, 10)), db=path)


def _record(bot, answers, at=0):
    with bot.db.atomic():
        items.add_history(bot.ctx, list(answers), [at] * len(answers), "import")


def _fresh(settings, answers) -> Router:
    return Router([Expert(p.email, p.expertise) for p in settings.people.values()], answers)


def test_a_start_loads_the_saved_index_and_adds_only_what_came_since(settings, tmp_path, monkeypatch):
    path = tmp_path / "uppsikt.db"
    bot = _bot(settings, path)
    _record(bot, HISTORY)
    items.router(bot.ctx)  # built at first use and saved beside the database
    saved = router_index.path_for(path)
    assert saved.is_file()
    _record(bot, LATER)  # taught to the live router, not yet in the file
    bot.db.close()

    built: list[int] = []
    real_init = Router.__init__
    monkeypatch.setattr(Router, "__init__", lambda self, *a, **k: (built.append(1), real_init(self, *a, **k))[1])
    reader = open_reader(path)
    loaded = router_index.load_or_build(reader, settings, path)
    assert built == []  # loaded, not built
    assert (loaded.saved_last_id, loaded.last_id, loaded.count) == (len(HISTORY), len(HISTORY) + 1, len(HISTORY) + 1)
    fresh = _fresh(settings, HISTORY + LATER)
    for q in QUESTIONS:
        assert loaded.router.rank(q) == fresh.rank(q)
    assert [r.email for r in loaded.router.rank(QUESTIONS[2])] == ["gustav@example.se"]


def test_the_keywords_come_from_the_configuration_not_the_file(settings, tmp_path):
    path = tmp_path / "uppsikt.db"
    bot = _bot(settings, path)
    _record(bot, HISTORY)
    items.router(bot.ctx)
    loaded = router_index.load_or_build(bot.db.conn, settings, path)
    assert loaded.last_id == loaded.saved_last_id  # from the file
    assert loaded.router.rank("Behöver jag bygglov för en altan?")[0].email == "omar@example.se"  # a keyword


def test_other_people_or_erased_answers_make_it_build_again(settings, tmp_path):
    path = tmp_path / "uppsikt.db"
    bot = _bot(settings, path)
    _record(bot, HISTORY)
    items.router(bot.ctx)
    fewer = dataclasses.replace(settings, people={k: v for k, v in settings.people.items() if k != "sara@example.se"})
    loaded = router_index.load_or_build(bot.db.conn, fewer, path)
    assert len(loaded.router.emails()) == len(settings.people) - 1  # built again for the new people
    assert "sara@example.se" not in [e.lower() for e in loaded.router.emails()]
    assert router_index.load_or_build(bot.db.conn, settings, path).router.rank(QUESTIONS[0])[0].email == "sara@example.se"
    bot.db.execute("DELETE FROM history_answers WHERE id = 1")  # the count up to the saved id no longer matches
    loaded = router_index.load_or_build(bot.db.conn, settings, path)
    assert loaded.count == len(HISTORY) - 1
    for q in QUESTIONS:
        assert loaded.router.rank(q) == _fresh(settings, HISTORY[1:]).rank(q)


def test_an_unreadable_index_is_rebuilt(settings, tmp_path, caplog):
    path = tmp_path / "uppsikt.db"
    bot = _bot(settings, path)
    _record(bot, HISTORY)
    router_index.path_for(path).write_bytes(b"\x80\x05not a pickle")
    loaded = router_index.load_or_build(bot.db.conn, settings, path)
    assert loaded.count == len(HISTORY)
    assert "cannot be read" in caplog.text
    assert router_index.load_or_build(bot.db.conn, settings, path).saved_last_id == len(HISTORY)  # saved again


def test_forgetting_a_person_deletes_the_saved_index(settings, tmp_path):
    path = tmp_path / "uppsikt.db"
    bot = _bot(settings, path)
    text = "Tack för en fin dag på festivalen i Ekby!"
    account = next(iter(bot.ctx.accounts.values()))
    item, _ = bot.intake(account.id, text, source="test", external_id="o1", author="Olle Persson")
    assert item["status"] == "noted"  # not open: it may be erased
    _record(bot, [HistoryAnswer(text, "Tack själv, välkommen tillbaka.", "lena@example.se"), *HISTORY])
    items.router(bot.ctx)
    assert router_index.path_for(path).is_file()
    report = forget(bot.ctx, "Olle Persson", "lena@example.se")
    assert report.history_answers == 1
    assert not router_index.path_for(path).exists()
    assert "router" not in bot.ctx.cache
    items.router(bot.ctx)  # built again without the erased answer
    assert router_index.load_or_build(bot.db.conn, bot.settings, path).count == len(HISTORY)


def test_a_server_routes_to_the_responsible_person_until_the_router_is_ready(settings, tmp_path, monkeypatch):
    path = tmp_path / "uppsikt.db"
    bot = _bot(settings, path)
    _record(bot, HISTORY)
    gate, started = threading.Event(), threading.Event()
    real = router_index.load_or_build

    def slow(*args, **kwargs):
        started.set()
        assert gate.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(router_index, "load_or_build", slow)
    warmup = bot.prepare_router()
    assert warmup is not None and started.wait(10)
    account = next(iter(bot.ctx.accounts.values()))
    item, _ = bot.intake(account.id, QUESTIONS[0], source="test", external_id="w1", author="Medborgare")
    assert item["assigned_reason"].startswith(t("route.warming", "sv"))
    assert item["assignee"] == staff.responsible_for(bot.ctx, account, bot.ctx.today())[0] != "sara@example.se"
    _record(bot, LATER)  # recorded while the router is prepared: added when it is installed
    gate.set()
    assert warmup.done.wait(10) and warmup.error is None
    item, _ = bot.intake(account.id, QUESTIONS[0], source="test", external_id="w2", author="Medborgare")
    assert item["assignee"] == "sara@example.se"
    item, _ = bot.intake(account.id, QUESTIONS[2], source="test", external_id="w3", author="Medborgare")
    assert item["assignee"] == "gustav@example.se"


def test_a_failed_warm_up_falls_back_to_building_at_the_next_question(settings, tmp_path, monkeypatch):
    path = tmp_path / "uppsikt.db"
    bot = _bot(settings, path)
    _record(bot, HISTORY)

    def broken(*args, **kwargs):
        raise OSError("disk on fire")

    real = router_index.load_or_build
    monkeypatch.setattr(router_index, "load_or_build", broken)
    warmup = bot.prepare_router()
    assert warmup.done.wait(10) and isinstance(warmup.error, OSError)
    monkeypatch.setattr(router_index, "load_or_build", real)
    account = next(iter(bot.ctx.accounts.values()))
    item, _ = bot.intake(account.id, QUESTIONS[0], source="test", external_id="f1", author="Medborgare")
    assert item["assignee"] == "sara@example.se"


def test_an_in_memory_database_builds_at_first_use(settings):
    bot = build(settings, clock=FakeClock(local(2027, 3, 1, 10)))
    assert bot.prepare_router() is None
    _record(bot, HISTORY)
    account = next(iter(bot.ctx.accounts.values()))
    item, _ = bot.intake(account.id, QUESTIONS[1], source="test", external_id="m1", author="Medborgare")
    assert item["assignee"] == "maria@example.se"


@pytest.mark.parametrize("n", [1, 3])
def test_route_cli_uses_the_saved_index(settings, tmp_path, n, capsys):
    from bot.cli import main
    from bot.settings import DEFAULT_CONFIG

    path = tmp_path / "uppsikt.db"
    bot = _bot(settings, path)
    _record(bot, HISTORY[: n + 1])
    bot.db.close()
    assert main(["route", QUESTIONS[0], "--db", str(path), "--config", str(DEFAULT_CONFIG), "--json"]) == 0
    assert router_index.path_for(path).is_file()
    first = capsys.readouterr().out
    assert main(["route", QUESTIONS[0], "--db", str(path), "--config", str(DEFAULT_CONFIG), "--json"]) == 0
    assert capsys.readouterr().out == first
    assert '"sara@example.se"' in first


def test_the_nightly_backup_saves_the_live_routers_index(settings, tmp_path, monkeypatch):
    from bot import jobs

    path = tmp_path / "uppsikt.db"
    bot = _bot(settings, path)
    _record(bot, HISTORY)
    items.router(bot.ctx)
    _record(bot, LATER)  # recorded after the index was saved: only in the live router
    reader = open_reader(path)
    assert router_index._read(router_index.path_for(path), router_index.experts(settings), reader).last_id == len(HISTORY)
    jobs.nightly_backup(bot, tmp_path / "backups")
    saved = router_index._read(router_index.path_for(path), router_index.experts(settings), reader)
    assert (saved.last_id, saved.count) == (len(HISTORY) + 1, len(HISTORY) + 1)
    for q in QUESTIONS:
        assert saved.router.rank(q) == _fresh(settings, HISTORY + LATER).rank(q)


def test_the_numpy_views_give_the_very_same_floats_as_the_loop(monkeypatch):
    from bot.core import routing
    from tests.unit.test_routing import synthetic

    staff, history, questions = synthetic(experts=120, answers=3000, seed=11)
    router = Router(staff, history)
    fast = [router.rank(q) for q in questions[:60]]
    monkeypatch.setattr(routing, "_NUMPY_FROM", 10**9)  # every expert count takes the plain loop
    assert [router.rank(q) for q in questions[:60]] == fast  # scores compared exactly, not approximately
    assert any(r for r in fast)


def test_a_saved_and_loaded_router_ranks_exactly_like_a_fresh_one(tmp_path):
    import pickle

    from tests.unit.test_routing import synthetic

    staff, history, questions = synthetic(experts=80, answers=2000, seed=3)
    router = Router(staff, history[:1500])
    loaded = pickle.loads(pickle.dumps(router))
    loaded.use_keywords(staff)
    loaded.add_history(history[1500:])
    fresh = Router(staff, history)
    for q in questions[:40]:
        assert loaded.rank(q) == fresh.rank(q)


def test_an_index_saved_in_an_older_format_is_rebuilt(settings, tmp_path, monkeypatch):
    import pickle

    path = tmp_path / "uppsikt.db"
    bot = _bot(settings, path)
    _record(bot, HISTORY)
    saved = router_index.path_for(path)
    old = {"format": router_index.FORMAT - 1, "people": router_index._signature(router_index.experts(settings)),
           "last_id": len(HISTORY), "count": len(HISTORY)}
    saved.write_bytes(pickle.dumps(old) + pickle.dumps({"an": "older router"}))
    built: list[int] = []
    real_init = Router.__init__
    monkeypatch.setattr(Router, "__init__", lambda self, *a, **k: (built.append(1), real_init(self, *a, **k))[1])
    loaded = router_index.load_or_build(bot.db.conn, settings, path)
    assert built == [1] and loaded.count == len(HISTORY)
    for q in QUESTIONS:
        assert loaded.router.rank(q) == _fresh(settings, HISTORY).rank(q)
    with saved.open("rb") as f:
        assert pickle.load(f)["format"] == router_index.FORMAT  # saved again in the current format


def test_an_index_saved_with_another_precedent_window_is_rebuilt(settings, tmp_path, monkeypatch):
    from bot.core import routing

    path = tmp_path / "uppsikt.db"
    bot = _bot(settings, path)
    _record(bot, HISTORY)
    items.router(bot.ctx)
    assert router_index._read(router_index.path_for(path), router_index.experts(settings), bot.db.conn) is not None
    monkeypatch.setattr(routing, "PRECEDENT_WINDOW", 2)
    assert router_index._read(router_index.path_for(path), router_index.experts(settings), bot.db.conn) is None


def test_the_precedent_view_keeps_only_its_window_and_an_update_equals_a_rebuild(monkeypatch):
    """Memory bounded by the window, not the history (issue 17): the questions that fell out of it are
    cut from the postings, and a router fed piecemeal decides exactly like one built at once."""
    from bot.core import routing
    from tests.unit.test_routing import synthetic

    monkeypatch.setattr(routing, "PRECEDENT_WINDOW", 300)
    staff, history, questions = synthetic(experts=70, answers=2000, seed=8)
    batch = Router(staff, history)
    incremental = Router(staff)
    for start in range(0, 2000, 170):
        incremental.add_history(history[start:start + 170])
        incremental.rank(questions[0])
    for q in questions[:50]:
        assert incremental.rank(q) == batch.rank(q)
    questions_view = batch._questions
    live = 2000 - 300
    kept = sum(len(ids) for ids, _ in questions_view._postings.values())
    in_window = sum(len(ids) - sum(1 for i in ids if i < live) for ids, _ in questions_view._postings.values())
    assert kept <= 2 * in_window  # what fell out is cut, not kept with the history
    assert len(questions_view._owner) == 300
    # The neighbours are found among the window's questions only: the same as a router that saw only those.
    recent = Router(staff)
    recent.add_history(history[:live])
    recent._questions = Router(staff, history[live:])._questions
    for q in questions[:50]:
        words = routing.words(q)
        (best, similar), (best_recent, similar_recent) = batch._questions.nearest(words), recent._questions.nearest(words)
        assert similar == similar_recent and best.keys() == best_recent.keys()
        assert all(math.isclose(best[e], best_recent[e], rel_tol=1e-12) for e in best)
    assert any(batch._questions.nearest(routing.words(q))[0] for q in questions[:50])


def test_a_saved_index_cut_short_or_with_trailing_bytes_is_rebuilt(settings, tmp_path, caplog):
    path = tmp_path / "uppsikt.db"
    bot = _bot(settings, path)
    _record(bot, HISTORY)
    items.router(bot.ctx)
    saved = router_index.path_for(path)
    whole = saved.read_bytes()
    reader = open_reader(path)
    assert router_index._read(saved, router_index.experts(settings), reader) is not None
    for damaged in (whole[:-5], whole + b"\x00"):  # the raw arrays after the pickled structure
        saved.write_bytes(damaged)
        assert router_index._read(saved, router_index.experts(settings), reader) is None
        loaded = router_index.load_or_build(bot.db.conn, settings, path)
        assert loaded.count == len(HISTORY) and saved.read_bytes() == whole  # built and saved again, the same
        for q in QUESTIONS:
            assert loaded.router.rank(q) == _fresh(settings, HISTORY).rank(q)
    assert "cannot be read" in caplog.text
