"""Store: migrations, WAL, append-only audit, online backup that restores to a working bot."""

from __future__ import annotations

import sqlite3

import pytest

from bot.bootstrap import build
from bot.store.db import StoreError, backup, open_db
from bot.store.migrations import migrations
from tests.conftest import local


def test_migrations_are_idempotent_and_wal(tmp_path):
    path = tmp_path / "u.db"
    db = open_db(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    applied = [m.name for m in migrations.applied(db)]
    db.close()
    db = open_db(path)
    assert [m.name for m in migrations.applied(db)] == applied and migrations.pending(db) == []
    indexes = {i.name for i in db["items"].indexes}
    assert {"idx_items_first_reply_due", "idx_items_full_answer_due", "idx_items_next_nudge_at"} <= indexes


def test_audit_is_append_only():
    db = open_db(None)
    db["audit"].insert({"at": 1, "actor": "a", "action": "x", "subject": "", "detail": "{}"})
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("UPDATE audit SET actor = 'b'")
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("DELETE FROM audit")
    assert [r["actor"] for r in db["audit"].rows] == ["a"]


def test_backup_restores_to_working_bot(settings, harness, tmp_path):
    h = harness(local(2026, 12, 7, 10, 0), db=tmp_path / "live.db")
    h.bot.intake("facebook", "När öppnar simhallen?", external_id="x1", source="facebook")
    h.bot.command("lena@example.se", "/uppsikt klart facebook")
    copy = backup(h.bot.db, tmp_path / "backup" / "copy.db")
    restored = build(settings, clock=h.clock, db=copy)
    assert restored.db["items"].count == 1 and restored.db["oversight_log"].count == 1
    item, created = restored.intake("facebook", "När öppnar simhallen?", external_id="x1", source="facebook")
    assert not created  # dedupe state survived the backup


def test_unwritable_location_gives_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError) as exc:
        open_db(blocker / "sub" / "u.db")
    assert "Kontrollera" in str(exc.value)


def test_outbox_order_and_retry(harness):
    from bot.bootstrap import ChatError

    h = harness(local(2026, 12, 7, 10, 0))
    failures = {"n": 2}
    real_send = h.chat.send

    def flaky(message):
        if message.to == "#konto-facebook" and failures["n"]:
            failures["n"] -= 1
            raise ChatError("503", retry_after=30)
        real_send(message)

    h.chat.send = flaky
    h.bot.intake("facebook", "När öppnar simhallen?", external_id="a", source="facebook")
    h.bot.intake("facebook", "Var kan jag parkera?", external_id="b", source="facebook")
    assert [m.kind for _, m in h.sent(to="#konto-facebook")] == []  # first card failed, the second waits behind it
    pending = h.bot.db.execute("SELECT COUNT(*) FROM outbox WHERE status='pending'").fetchone()[0]
    assert pending >= 2
    h.run_until(local(2026, 12, 7, 10, 5))
    cards = [m.item for _, m in h.sent("item", to="#konto-facebook")]
    assert cards == [1, 2]  # delivered, in order


def test_personal_reminders_become_one_digest_when_the_chat_wants_it(harness):
    h = harness(local(2026, 12, 7, 10, 0))
    h.chat.digests = True
    for n, text in enumerate(["När töms soporna?", "Var lämnar jag grovsopor?", "När öppnar simhallen?"]):
        item, _ = h.bot.intake("facebook", text, external_id=f"d{n}", source="facebook")
        if item["assignee"] != "maria@example.se":
            assert h.bot.action("maria@example.se", "take", str(item["id"])).ok
    h.clear()
    h.run_until(local(2026, 12, 7, 15, 0))
    to_maria = [m for _, m in h.chat.sent if m.to == "maria@example.se"]
    assert [m.kind for m in to_maria] == ["digest"]
    assert "3 påminnelser" in to_maria[0].text and to_maria[0].text.count("•") == 3
    assert h.bot.db.execute("SELECT COUNT(*) FROM outbox WHERE status = 'pending'").fetchone()[0] == 0


def test_outbox_keeps_retrying_through_a_long_outage(harness):
    from bot.bootstrap import ChatError

    h = harness(local(2026, 12, 7, 8, 0))  # installed before the day's prompt
    h.clock.set(local(2026, 12, 7, 10, 0))
    down = {"until": local(2026, 12, 7, 16, 0)}
    real_send = h.chat.send

    def outage(message):
        if h.clock.now() < down["until"]:
            raise ChatError("500 internal_error")
        real_send(message)

    h.chat.send = outage
    h.bot.intake("facebook", "När öppnar simhallen?", external_id="o1", source="facebook")
    h.run_until(local(2026, 12, 7, 17, 0))
    delivered = h.sent(to="#konto-facebook")
    assert delivered and all(at >= local(2026, 12, 7, 16, 0) for at, _ in delivered)
    assert [m.kind for _, m in delivered][:2] == ["item", "oversight_prompt"]  # created order kept per channel
    assert h.bot.db.execute("SELECT COUNT(*) FROM outbox WHERE status != 'sent'").fetchone()[0] == 0


def test_delivery_happens_outside_the_bot_lock(harness):
    """A slow chat call must not hold the lock that listeners need to acknowledge in time."""
    import threading

    h = harness(local(2026, 12, 7, 10, 0))
    free: list[bool] = []
    real_send = h.chat.send

    def probe(message):
        def other_thread() -> None:
            got = h.bot.lock.acquire(timeout=1)
            free.append(got)
            if got:
                h.bot.lock.release()

        t = threading.Thread(target=other_thread)
        t.start()
        t.join()
        real_send(message)

    h.chat.send = probe
    h.bot.intake("facebook", "När öppnar simhallen?", external_id="lock1", source="facebook")
    assert free and all(free)
