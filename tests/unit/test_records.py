"""Public records: diarium marking and export, snapshots, register, inactive accounts, weeding, search
(R1–R7, A2, A3, A6)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from bot.cli import main
from bot.clock import to_epoch
from bot.core import commands, records
from bot.core.context import Refused
from bot.settings import DEFAULT_CONFIG, load_settings
from tests.conftest import Harness, local

SYNPUNKT = "Jag tycker att ni borde sätta ut fler papperskorgar på torget. Kan ni ordna det?"


# --------------------------------------------------------------------------- helpers


def _config(tmp_path: Path, *replacements: tuple[str, str]) -> Path:
    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / "kommun.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_records_commands_are_wired():
    for name, handler in records.COMMANDS.items():
        assert commands.COMMANDS[name] is handler


def _intake(h, account: str, text: str, author: str = "", kind: str = "comment", ext: str | None = None) -> dict:
    item, _ = h.bot.intake(account, text, author=author, kind=kind, source="facebook", external_id=ext,
                           permalink=f"https://facebook.example/{ext or text[:5]}")
    return item


def _removal(h, item: dict, ground: str = "personal_attack", confidential: int = 0, by: str = "lena@example.se",
             note: str = "") -> int:
    with h.ctx.db.atomic():
        table = h.ctx.db["removals"]
        table.insert({
            "item_id": item["id"], "account_id": item["account_id"], "author": item["author"], "text": item["text"],
            "permalink": item["permalink"], "posted_at": item["received_at"], "ground": ground, "note": note,
            "decided_by": by, "decided_at": h.ctx.now_ts(), "confidential": confidential,
        })
        h.ctx.db["items"].update(item["id"], {"status": "closed"})
        if confidential:
            h.ctx.db["items"].update(item["id"], {"diarium": 1, "diarium_reason": "sekretess"})
        return table.last_pk


def _daily(h, when: dt.datetime) -> list:
    h.clock.set(when)
    with h.ctx.db.atomic():
        return records.daily(h.ctx)


def _snapshots(h, when: dt.datetime) -> list:
    return [m for m in _daily(h, when) if m.kind == "snapshot_reminder"]


def _tables(h) -> dict:
    return {t: list(h.ctx.db[t].rows) for t in ("items", "snapshots", "major_changes", "outbox")}


def _records_world(h) -> dict:
    """One of each record type on 2026-12-07, plus an unmarked item and one outside the period."""
    ids = {}
    syn = _intake(h, "facebook", SYNPUNKT, author="Kalle Svensson", ext="syn")
    h.bot.action("lena@example.se", "take", str(syn["id"]))
    assert h.bot.action("lena@example.se", "answered", str(syn["id"]), answer="Tack! Vi ställer ut fler i januari.").ok
    with h.ctx.db.atomic():
        records.auto_mark(h.ctx, h.ctx.db["items"].get(syn["id"]))
    ids["synpunkt"] = syn["id"]
    troll = _intake(h, "facebook", "Du är en idiot", author="Troll", ext="troll")
    ids["removed_post"] = troll["id"]
    ids["removal"] = _removal(h, troll, "personal_attack", note="Personangrepp på handläggare")
    secret = _intake(h, "bibliotek", "Min granne Anna har skyddad identitet och bor på Storgatan 3", author="Nils", ext="sec")
    ids["confidential"] = secret["id"]
    ids["confidential_removal"] = _removal(h, secret, "personal_data", confidential=1)
    dm = _intake(h, "instagram", "Hej, jag vill anmäla en trasig gatlampa på Ekvägen.", author="Eva", kind="dm", ext="dm")
    records.mark_for_diarium(h.ctx, dm["id"], "direktmeddelande", "per@example.se")
    ids["direct_message"] = dm["id"]
    case = _intake(h, "facebook", "Kan jag få bygglov för ett attefallshus?", author="Olle", ext="case")
    records.mark_for_diarium(h.ctx, case["id"], "", "lena@example.se")
    ids["case"] = case["id"]
    ids["unmarked"] = _intake(h, "facebook", "Fin bild på torget", author="Mia", ext="nice")["id"]
    return ids


# --------------------------------------------------------------------------- diarium marking (R1)


def test_auto_mark_registers_answered_synpunkt(harness):
    h = harness(local(2026, 12, 7, 10, 0))
    item = _intake(h, "facebook", SYNPUNKT, ext="s1")
    other = _intake(h, "facebook", "När öppnar simhallen?", ext="q1")
    with h.ctx.db.atomic():
        assert records.auto_mark(h.ctx, h.ctx.db["items"].get(item["id"])) is True
        assert records.auto_mark(h.ctx, h.ctx.db["items"].get(other["id"])) is False
        assert records.auto_mark(h.ctx, h.ctx.db["items"].get(item["id"])) is False  # already marked
    row = h.ctx.db["items"].get(item["id"])
    assert (row["diarium"], row["diarium_reason"]) == (1, "synpunkt")
    assert h.ctx.db["items"].get(other["id"])["diarium"] == 0
    assert h.ctx.db["audit"].count_where("action = 'records.diarium'") == 1


def test_auto_mark_keeps_a_manual_reason(harness):
    h = harness(local(2026, 12, 7, 10, 0))
    item = _intake(h, "facebook", SYNPUNKT, ext="s1")
    records.mark_for_diarium(h.ctx, item["id"], "sekretess", "lena@example.se")
    with h.ctx.db.atomic():
        assert records.auto_mark(h.ctx, h.ctx.db["items"].get(item["id"])) is False
    assert h.ctx.db["items"].get(item["id"])["diarium_reason"] == "sekretess"


def test_auto_mark_follows_policy(tmp_path):
    # Tyresö: "Innehåll i sociala medier behöver inte diarieföras" -> register_synpunkter = false.
    settings = load_settings(_config(tmp_path, ('policy = "lekeberg"', 'policy = "tyreso"')))
    assert settings.policy.records.register_synpunkter is False
    h = Harness(settings, local(2026, 12, 7, 10, 0))
    item = _intake(h, "facebook", SYNPUNKT, ext="s1")
    with h.ctx.db.atomic():
        assert records.auto_mark(h.ctx, h.ctx.db["items"].get(item["id"])) is False
    assert h.ctx.db["items"].get(item["id"])["diarium"] == 0


def test_auto_mark_follows_the_accounts_own_policy(tmp_path):
    path = _config(tmp_path)
    path.write_text(path.read_text(encoding="utf-8") + "\n[account.policy.records]\nregister_synpunkter = false\n",
                    encoding="utf-8")
    settings = load_settings(path)
    assert settings.accounts["bibliotek"].policy.records.register_synpunkter is False
    h = Harness(settings, local(2026, 12, 7, 10, 0))
    lib = _intake(h, "bibliotek", SYNPUNKT, ext="s1")
    fb = _intake(h, "facebook", SYNPUNKT, ext="s2")
    with h.ctx.db.atomic():
        assert records.auto_mark(h.ctx, h.ctx.db["items"].get(lib["id"])) is False
        assert records.auto_mark(h.ctx, h.ctx.db["items"].get(fb["id"])) is True


def test_diarium_command(harness):
    h = harness(local(2026, 12, 7, 10, 0))
    item = _intake(h, "facebook", "Kan jag få bygglov för ett attefallshus?", ext="c1")
    reply = h.bot.command("omar@example.se", f"/diarium {item['id']} ärende")
    assert reply.ok and f"Ärende {item['id']} är markerat för diariet" in reply.text
    row = h.ctx.db["items"].get(item["id"])
    assert (row["diarium"], row["diarium_reason"]) == (1, "ärendehandläggning")
    assert h.bot.command("omar@example.se", f"/diarium {item['id']} dm").ok  # ASCII alias
    assert h.ctx.db["items"].get(item["id"])["diarium_reason"] == "direktmeddelande"


@pytest.mark.parametrize(
    "text,needle",
    [
        ("/diarium x", "heltal"),
        ("/diarium 99", "inget ärende"),
        ("/diarium {id} viktigt", "Välj en av: synpunkt, ärendehandläggning, sekretess, direktmeddelande"),
        ("/snapshot klar facebook", "Skriv var ögonblicksbilden är sparad"),
        ("/snapshot klar", "Skriv vilket konto"),
        ("/snapshot ändring facebook", "Beskriv ändringen"),
        ("/snapshot dansa", "/snapshot status"),
        ("/sök", "/sök [konto=ID]"),
        ("/sök från=2026-13-01 Kalle", "ÅÅÅÅ-MM-DD"),
        ("/sök från=2026-12-10 till=2026-12-01 Kalle", "före från-datumet"),
        ("/sök konto=twitter Kalle", "hittar inget konto"),
    ],
)
def test_bad_records_commands_get_swedish_help_and_change_nothing(harness, text, needle):
    h = harness(local(2026, 12, 7, 10, 0))
    item = _intake(h, "facebook", "Kan jag få bygglov?", ext="c1")
    before = _tables(h)
    reply = h.bot.command("lena@example.se", text.format(id=item["id"]))
    assert not reply.ok
    assert needle in reply.text
    assert _tables(h) == before


# --------------------------------------------------------------------------- export (R1, R2, R3, R6)


def test_export_has_one_row_per_record_with_the_registrars_fields(harness):
    h = harness(local(2026, 12, 7, 10, 0))
    ids = _records_world(h)
    h.clock.set(local(2026, 12, 9, 9, 0))
    late = _intake(h, "facebook", "Kan jag få bygglov för en altan?", ext="late")
    records.mark_for_diarium(h.ctx, late["id"], "ärendehandläggning", "lena@example.se")

    rows = records.export_diarium(h.ctx, dt.date(2026, 12, 7), dt.date(2026, 12, 8))
    by_type = {r["record_type"]: r for r in rows}
    assert sorted(by_type) == sorted(["synpunkt", "removed_post", "confidential", "direct_message", "case"])
    assert len(rows) == 5  # the confidential item appears once, as its removal record; unmarked and late left out
    assert {r["item_id"] for r in rows}.isdisjoint({ids["unmarked"], late["id"]})
    for r in rows:
        assert set(r) == set(records.EXPORT_FIELDS)

    syn = by_type["synpunkt"]
    assert syn["item_id"] == ids["synpunkt"] and syn["text"] == SYNPUNKT and syn["author"] == "Kalle Svensson"
    assert syn["answer"] == "Tack! Vi ställer ut fler i januari."
    assert syn["answered_by"] == "Lena Berg (lena@example.se)"
    assert syn["received_at"] == "2026-12-07T10:00:00+01:00" and syn["answered_at"].startswith("2026-12-07T10:00")
    assert (syn["account_id"], syn["account_name"], syn["platform"]) == ("facebook", "Ekby kommun", "facebook")
    assert syn["permalink"] == "https://facebook.example/syn" and syn["record_label"] == "Synpunkt"

    rem = by_type["removed_post"]
    assert rem["removal_id"] == ids["removal"] and rem["item_id"] == ids["removed_post"]
    assert rem["ground"] == "personal_attack" and rem["ground_label"] == "personangrepp"
    assert rem["decided_by"] == "Lena Berg (lena@example.se)" and rem["decided_at"] == "2026-12-07T10:00:00+01:00"
    assert rem["author"] == "Troll" and rem["text"] == "Du är en idiot" and rem["note"] == "Personangrepp på handläggare"

    conf = by_type["confidential"]
    assert conf["removal_id"] == ids["confidential_removal"] and conf["ground"] == "personal_data"
    assert conf["account_name"] == "Ekby bibliotek" and conf["diarium_reason"] == "sekretess"

    assert by_type["direct_message"]["item_id"] == ids["direct_message"]
    assert by_type["direct_message"]["platform"] == "instagram"
    assert by_type["case"]["item_id"] == ids["case"] and by_type["case"]["diarium_reason"] == "ärendehandläggning"

    # The later item is in its own period only.
    assert [r["item_id"] for r in records.export_diarium(h.ctx, dt.date(2026, 12, 9), dt.date(2026, 12, 9))] == [late["id"]]


def test_export_period_is_stockholm_days(harness):
    h = harness(local(2026, 12, 7, 23, 30))  # 22:30 UTC: still the 7th in Stockholm
    item = _intake(h, "facebook", "Kan jag få bygglov?", ext="c1")
    records.mark_for_diarium(h.ctx, item["id"], "ärendehandläggning", "lena@example.se")
    assert len(records.export_diarium(h.ctx, dt.date(2026, 12, 7), dt.date(2026, 12, 7))) == 1
    assert records.export_diarium(h.ctx, dt.date(2026, 12, 8), dt.date(2026, 12, 8)) == []
    with pytest.raises(Refused, match="före från-datumet"):
        records.export_diarium(h.ctx, dt.date(2026, 12, 8), dt.date(2026, 12, 7))


def test_csv_has_bom_header_and_one_line_per_record(harness):
    h = harness(local(2026, 12, 7, 10, 0))
    _records_world(h)
    rows = records.export_diarium(h.ctx, dt.date(2026, 12, 7), dt.date(2026, 12, 7))
    text = records.export_csv(h.ctx, rows)
    assert text.startswith("\ufeff")
    parsed = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
    assert parsed[0][:5] == ["Typ (kod)", "Typ", "Ärendenummer", "Borttagningspost", "Inkom"]
    assert len(parsed[0]) == len(records.EXPORT_FIELDS) and len(parsed) == 1 + len(rows)
    assert parsed[1][0] == rows[0]["record_type"]
    comma = list(csv.reader(io.StringIO(records.export_csv(h.ctx, rows, ",")[1:])))
    assert comma[1:] == parsed[1:]


def test_cli_export_csv_file_and_json(harness, tmp_path, capsys):
    db = tmp_path / "u.db"
    h = harness(local(2026, 12, 7, 10, 0), db=str(db))
    _records_world(h)
    out = tmp_path / "diarium.csv"
    args = ["export", "diarium", "--db", str(db), "--from", "2026-12-01", "--to", "2026-12-31"]
    assert main([*args, "--format", "csv", "--out", str(out)]) == 0
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert len(lines) == 6 and "Text" in lines[0]
    assert "5 poster sparade" in capsys.readouterr().err
    assert main([*args, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert isinstance(data, list) and len(data) == 5
    assert {d["record_type"] for d in data} == set(records.RECORD_TYPES)


@pytest.mark.parametrize(
    "extra,needle",
    [
        (["--from", "2026-13-01", "--to", "2026-12-31"], "ÅÅÅÅ-MM-DD"),
        (["--from", "1/12", "--to", "2026-12-31"], "ÅÅÅÅ-MM-DD"),
        (["--from", "2026-12-31", "--to", "2026-12-01"], "före från-datumet"),
        (["--from", "2026-12-01", "--to", "2026-12-31", "--format", "xlsx"], "Okänt format"),
    ],
)
def test_cli_export_bad_input_exits_2_in_swedish(tmp_path, capsys, extra, needle):
    out = tmp_path / "x.csv"
    code = main(["export", "diarium", "--db", str(tmp_path / "u.db"), *extra, "--out", str(out)])
    assert code == 2
    assert needle in capsys.readouterr().err
    assert not out.exists()


def test_cli_search_bad_date_exits_2(tmp_path, capsys):
    assert main(["search", "Kalle", "--db", str(tmp_path / "u.db"), "--from", "igår"]) == 2
    assert "ÅÅÅÅ-MM-DD" in capsys.readouterr().err
    assert main(["search", "Kalle", "--db", str(tmp_path / "u.db"), "--account", "twitter"]) == 2
    assert main(["search", "Kalle", "--db", str(tmp_path / "u.db")]) == 0


# --------------------------------------------------------------------------- snapshots (R4)


def test_add_months_clamps_to_month_end():
    assert records.add_months(dt.date(2026, 12, 7), 6) == dt.date(2027, 6, 7)
    assert records.add_months(dt.date(2026, 8, 31), 6) == dt.date(2027, 2, 28)
    assert records.add_months(dt.date(2027, 8, 31), 6) == dt.date(2028, 2, 29)
    assert records.add_months(dt.date(2026, 3, 31), 12) == dt.date(2027, 3, 31)
    assert records.add_months(dt.date(2026, 5, 31), 1) == dt.date(2026, 6, 30)


def test_snapshot_reminder_after_six_months_exactly_once(harness):
    h = harness(local(2026, 12, 7, 10, 0))  # accounts are added now
    assert _snapshots(h, local(2027, 6, 6, 9, 0)) == []
    sent = _snapshots(h, local(2027, 6, 7, 9, 0))
    assert sorted(m.account for m in sent) == ["bibliotek", "facebook", "instagram", "linkedin"]
    assert all(m.kind == "snapshot_reminder" for m in sent)
    fb = next(m for m in sent if m.account == "facebook")
    assert fb.to == "lena@example.se" and "ögonblicksbild av Ekby kommun" in fb.text
    assert "/snapshot klar facebook" in fb.text and "2026-12-07" in fb.text
    assert _snapshots(h, local(2027, 6, 7, 15, 0)) == []
    assert _snapshots(h, local(2027, 7, 1, 9, 0)) == []
    h.bot.flush()
    assert len(h.sent("snapshot_reminder")) == 4


def test_snapshot_reminder_goes_to_the_substitute_when_owner_is_away(harness):
    h = harness(local(2026, 12, 7, 10, 0))
    from bot.core import staff

    staff.add_absence(h.ctx, "lena@example.se", "lena@example.se", dt.date(2027, 6, 1), dt.date(2027, 6, 30),
                      "per@example.se", "semester")
    sent = _snapshots(h, local(2027, 6, 7, 9, 0))
    assert next(m for m in sent if m.account == "facebook").to == "per@example.se"


def test_nora_takes_snapshots_yearly(tmp_path):
    settings = load_settings(_config(tmp_path, ('policy = "lekeberg"', 'policy = "nora"')))
    assert settings.policy.snapshots.interval_months == 12
    h = Harness(settings, local(2026, 12, 7, 10, 0))
    assert _snapshots(h, local(2027, 6, 8, 9, 0)) == []
    assert _snapshots(h, local(2027, 12, 6, 9, 0)) == []
    assert len(_snapshots(h, local(2027, 12, 7, 9, 0))) == 4


def test_major_change_reminds_at_once_and_snapshot_klar_logs_the_reference(harness):
    h = harness(local(2026, 12, 7, 10, 0))
    h.clock.set(local(2027, 2, 10, 9, 0))
    reply = h.bot.command("per@example.se", "/snapshot ändring facebook Nytt namn och ny profilbild")
    assert reply.ok and "Lena Berg har fått en påminnelse" in reply.text
    (_, msg), = h.sent("snapshot_reminder")
    assert msg.to == "lena@example.se" and "Nytt namn och ny profilbild" in msg.text
    assert h.ctx.db["major_changes"].count == 1

    h.clock.set(local(2027, 2, 11, 14, 0))
    reply = h.bot.command("lena@example.se", "/snapshot klar facebook Platina KS 2026/123")
    assert reply.ok and "Platina KS 2026/123" in reply.text and "2027-08-11" in reply.text
    assert "1 noterad" in reply.text
    snap = list(h.ctx.db["snapshots"].rows)[0]
    assert (snap["account_id"], snap["reference"], snap["taken_by"]) == ("facebook", "Platina KS 2026/123", "lena@example.se")
    assert snap["taken_at"] == to_epoch(local(2027, 2, 11, 14, 0))
    assert list(h.ctx.db["major_changes"].rows)[0]["snapshot_id"] == snap["id"]
    assert h.ctx.db["audit"].count_where("action = 'records.snapshot'") == 1

    status = h.bot.command("karin@example.se", "/snapshot status")
    assert "Ekby kommun (facebook): senast 2027-02-11 (Platina KS 2026/123)" in status.text
    assert "Nästa senast 2027-08-11" in status.text
    # The six months now count from the snapshot: nothing for facebook in June, the others are reminded.
    sent = _snapshots(h, local(2027, 6, 7, 9, 0))
    assert "facebook" not in {m.account for m in sent} and len(sent) == 3
    assert [m.account for m in _snapshots(h, local(2027, 8, 11, 9, 0))] == ["facebook"]


def test_only_account_staff_and_communicators_log_snapshots(harness):
    h = harness(local(2026, 12, 7, 10, 0))
    reply = h.bot.command("omar@example.se", "/snapshot klar facebook Platina KS 2026/1")
    assert not reply.ok and "Du står inte som ansvarig" in reply.text
    assert h.ctx.db["snapshots"].count == 0
    assert h.bot.command("lena@example.se", "/snapshot klar bibliotek KS 2026/2").ok  # communicator


# --------------------------------------------------------------------------- register (A2, A3)


def test_register_html_is_escaped_accessible_and_has_the_a2_fields(tmp_path):
    path = _config(
        tmp_path,
        ('purpose = "Kommunens huvudkanal: nyheter, service och information i kris."',
         'purpose = "<script>alert(\\"x\\")</script> Nyheter & service"'),
        ('url = "https://www.instagram.com/ekbykommun"', 'url = "javascript:alert(1)"'),
    )
    h = Harness(load_settings(path), local(2026, 12, 7, 10, 0))
    page = records.register_html(h.ctx)
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page and "javascript:" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Nyheter &amp; service" in page
    root = ET.fromstring(page.split("\n", 1)[1])  # well-formed (XHTML syntax) after the doctype
    ns = {"h": "http://www.w3.org/1999/xhtml"}
    assert root.get("lang") == "sv"
    table = root.find(".//h:table", ns)
    assert table.find("h:caption", ns).text == "Ekby kommuns 4 konton i sociala medier"
    cols = table.findall("h:thead/h:tr/h:th", ns)
    assert len(cols) == 9 and all(c.get("scope") == "col" for c in cols)
    body = table.findall("h:tbody/h:tr", ns)
    assert len(body) == 4 and all(r.find("h:th", ns).get("scope") == "row" for r in body)
    for needle in ("Ekby bibliotek", "Facebook", "LinkedIn", "Kultur- och fritidsförvaltningen",
                   "Låntagare och föräldrar.", "Boktips, evenemang, öppettider.", "ett par gånger i veckan",
                   "Ida Strand, bibliotekarie", 'href="mailto:bibliotek@example.se"',
                   'href="https://www.facebook.com/ekbybibliotek"'):
        assert needle in page, needle
    # Staff e-mail addresses are never published; only the documented contact.
    for person in h.ctx.settings.people:
        assert person not in page


def test_register_rows_have_the_a2_fields(harness):
    h = harness(local(2026, 12, 7, 10, 0))
    rows = {r["id"]: r for r in records.register(h.ctx)}
    assert set(rows) == {"facebook", "instagram", "linkedin", "bibliotek"}
    fb = rows["facebook"]
    assert set(fb) == set(records.REGISTER_FIELDS)
    assert fb["unit_name"] == "Kommunledningsförvaltningen" and fb["owner_name"] == "Lena Berg"
    assert fb["owner_title"] == "kommunikatör" and fb["contact"] == "kommunikation@example.se"
    assert all(fb[k] for k in ("purpose", "audience", "content", "update_frequency", "url"))


def test_cli_export_register(harness, tmp_path, capsys):
    db = tmp_path / "u.db"
    harness(local(2026, 12, 7, 10, 0), db=str(db))
    out = tmp_path / "konton.html"
    assert main(["export", "register", "--db", str(db), "--format", "html", "--out", str(out)]) == 0
    assert '<html lang="sv"' in out.read_text(encoding="utf-8")
    assert main(["export", "register", "--db", str(db), "--format", "json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 4
    assert main(["export", "register", "--db", str(db), "--format", "pdf"]) == 2


# --------------------------------------------------------------------------- inactive accounts (A6)


def test_inactive_account_reminder_once_per_inactive_period(harness):
    h = harness(local(2026, 12, 7, 10, 0))
    _intake(h, "facebook", "Hej!", ext="a1")
    h.clock.set(local(2027, 1, 20, 10, 0))
    _intake(h, "bibliotek", "Tack för boktipset!", ext="b1")
    assert [m for m in _daily(h, local(2027, 3, 7, 9, 0)) if m.kind == "inactive_account"] == []  # 90 days: not yet
    sent = [m for m in _daily(h, local(2027, 3, 8, 9, 0)) if m.kind == "inactive_account"]
    assert {m.account for m in sent} == {"facebook", "instagram", "linkedin"}
    fb = [m for m in sent if m.account == "facebook"]
    assert {m.to for m in fb} == {"lena@example.se", "karin@example.se"}  # owner; the chief, as Lena is the communicator
    assert {m.to for m in sent if m.account == "linkedin"} == {"karin@example.se", "lena@example.se"}
    assert "återaktiveras eller avslutas, med ett avskedsinlägg" in fb[0].text and "2026-12-07" in fb[0].text
    assert [m for m in _daily(h, local(2027, 3, 9, 9, 0)) if m.kind == "inactive_account"] == []
    later = [m for m in _daily(h, local(2027, 4, 20, 12, 0)) if m.kind == "inactive_account"]  # 90 d + DST hour
    assert {m.account for m in later} == {"bibliotek"}
    # New activity starts a new period.
    _intake(h, "facebook", "Nytt inlägg", ext="a2")
    assert [m for m in _daily(h, local(2027, 7, 19, 9, 0)) if m.account == "facebook" and m.kind == "inactive_account"] == []
    assert [m for m in _daily(h, local(2027, 7, 20, 9, 0)) if m.account == "facebook" and m.kind == "inactive_account"]


# --------------------------------------------------------------------------- weeding (R5)


def test_weeding_deletes_old_minor_items_and_keeps_records(harness):
    h = harness(local(2026, 6, 1, 10, 0))
    noted = _intake(h, "facebook", "Fin bild på torget", ext="w1")
    answered = _intake(h, "facebook", "När öppnar simhallen?", ext="w2")
    h.bot.action("erik@example.se", "answered", str(answered["id"]), answer="Klockan sju.")
    closed = _intake(h, "facebook", "Vad tycker ni om vädret?", ext="w3")
    h.bot.action("lena@example.se", "no_reply", str(closed["id"]), reason="Samtal mellan invånare")
    open_ = _intake(h, "facebook", "Hur söker jag bygglov?", ext="w4")
    marked = _intake(h, "facebook", "Ni borde laga gatan", ext="w5")
    records.mark_for_diarium(h.ctx, marked["id"], "synpunkt", "lena@example.se")
    removed = _intake(h, "facebook", "Du är en idiot", author="Troll", ext="w6")
    _removal(h, removed)
    h.clock.set(local(2026, 8, 31, 10, 0))
    recent = _intake(h, "facebook", "Härlig sommar!", ext="w7")
    gone = {noted["id"], answered["id"], closed["id"]}
    assert h.ctx.db["item_history"].count_where(f"item_id IN ({','.join(map(str, gone))})") >= 3

    h.clock.set(local(2026, 9, 1, 9, 0))  # 92 days later; Lekeberg keeps 90
    with h.ctx.db.atomic():
        assert records.weed(h.ctx) == 3
    left = {r["id"] for r in h.ctx.db["items"].rows}
    assert left == {open_["id"], marked["id"], removed["id"], recent["id"]}
    ph = ",".join(map(str, gone))
    assert h.ctx.db["item_history"].count_where(f"item_id IN ({ph})") == 0
    assert h.ctx.db["outbox"].count_where(f"item_id IN ({ph})") == 0
    (audit,) = [r for r in h.ctx.db["audit"].rows if r["action"] == "records.weed"]
    assert json.loads(audit["detail"])["count"] == 3
    everything = json.dumps([list(h.ctx.db[t].rows) for t in ("audit", "item_history", "outbox")], ensure_ascii=False)
    for text in ("Fin bild på torget", "Klockan sju", "Vad tycker ni om vädret?"):
        assert text not in everything
    with h.ctx.db.atomic():
        assert records.weed(h.ctx) == 0


def test_daily_weeds(harness):
    h = harness(local(2026, 6, 1, 10, 0))
    _intake(h, "facebook", "Fin bild på torget", ext="w1")
    _daily(h, local(2026, 9, 1, 9, 0))
    assert h.ctx.db["items"].count == 0


# --------------------------------------------------------------------------- search (R7)


def test_search_finds_text_author_answer_and_removals(harness):
    h = harness(local(2026, 12, 7, 10, 0))
    a = _intake(h, "facebook", "Snöröjningen på Ekvägen är dålig", author="Åsa Ölund", ext="s1")
    b = _intake(h, "bibliotek", "Har ni ljudböcker?", author="Bo", ext="s2")
    h.bot.action("ida@example.se", "take", str(b["id"]))
    h.bot.action("ida@example.se", "answered", str(b["id"]), answer="Ja, i appen BiblioÖ.")
    troll = _intake(h, "facebook", "Du är en idiot", author="Troll Trollsson", ext="s3")
    rid = _removal(h, troll)

    assert [r["id"] for r in records.search(h.ctx, "ÅSA ÖLUND")] == [a["id"]]  # by author, case-insensitive å/ö
    assert [r["id"] for r in records.search(h.ctx, "ekvägen")] == [a["id"]]  # by text
    assert [r["id"] for r in records.search(h.ctx, "biblioö")] == [b["id"]]  # by answer
    hits = records.search(h.ctx, "trollsson")
    assert {(r["record_type"], r["id"]) for r in hits} == {("item", troll["id"]), ("removed_post", rid)}
    removal_hit = next(r for r in hits if r["record_type"] == "removed_post")
    assert removal_hit["item_id"] == troll["id"] and removal_hit["excerpt"] == "Du är en idiot"
    assert removal_hit["date"] == "2026-12-07T10:00:00+01:00" and removal_hit["account_name"] == "Ekby kommun"
    assert records.search(h.ctx, "ekvägen", account="bibliotek") == []
    assert records.search(h.ctx, "ekvägen", start=dt.date(2026, 12, 8)) == []
    assert len(records.search(h.ctx, "ekvägen", start=dt.date(2026, 12, 7), end=dt.date(2026, 12, 7))) == 1
    with pytest.raises(Refused):
        records.search(h.ctx, "   ")

    reply = h.bot.command("lena@example.se", "/sök konto=facebook Ekvägen")
    assert reply.ok and "1 träff" in reply.text and "Åsa Ölund" in reply.text
    assert "Jag hittar inget" in h.bot.command("lena@example.se", "/sök Storgatan").text


def test_search_treats_like_wildcards_literally(harness):
    h = harness(local(2026, 12, 7, 10, 0))
    pct = _intake(h, "facebook", "Jag är 100% nöjd", ext="p1")
    _intake(h, "facebook", "Jag är 1000 nöjd", ext="p2")
    under = _intake(h, "facebook", "Filen heter rapport_2026", ext="u1")
    _intake(h, "facebook", "Filen heter rapportx2026", ext="u2")
    slash = _intake(h, "facebook", "Sökväg C:\\temp", ext="b1")
    assert [r["id"] for r in records.search(h.ctx, "100%")] == [pct["id"]]
    assert [r["id"] for r in records.search(h.ctx, "rapport_")] == [under["id"]]
    assert [r["id"] for r in records.search(h.ctx, "c:\\temp")] == [slash["id"]]
    assert records.search(h.ctx, "%") == [r for r in records.search(h.ctx, "%") if r["id"] == pct["id"]]


def test_search_excerpt_is_around_the_match(harness):
    h = harness(local(2026, 12, 7, 10, 0))
    text = "Inledning. " * 40 + "Viktigt ord här. " + "Avslutning. " * 40
    _intake(h, "facebook", text, ext="long")
    (hit,) = records.search(h.ctx, "viktigt ord")
    assert "Viktigt ord" in hit["excerpt"] and hit["excerpt"].startswith("…") and hit["excerpt"].endswith("…")
    assert len(hit["excerpt"]) <= records.EXCERPT_CHARS + 2


def test_direct_messages_are_public_records_at_intake(harness):
    """R6: a direct message to the account is marked for the diarium as it arrives."""
    h = harness(local(2026, 12, 7, 10, 0))
    item, _ = h.bot.intake("facebook", "Hej, jag vill klaga på min handläggare.", author="Privat", kind="dm",
                           source="messenger", external_id="dm1")
    row = h.ctx.db["items"].get(item["id"])
    assert row["diarium"] == 1 and row["diarium_reason"] == "direktmeddelande"
    assert [r["record_type"] for r in records.export_diarium(h.ctx, dt.date(2026, 12, 7), dt.date(2026, 12, 7))] == [
        "direct_message"]


def test_crisis_items_are_not_weeded(harness):
    h = harness(local(2026, 1, 5, 10, 0))
    item, _ = h.bot.intake("facebook", "Det brinner i skogen vid Norrby, mycket rök!", source="facebook", external_id="c")
    h.bot.action("lena@example.se", "no_reply", str(item["id"]), reason="Hanterat av krisgruppen")
    h.clock.set(local(2026, 12, 7, 10, 0))
    with h.ctx.db.atomic():
        records.weed(h.ctx)
    assert h.ctx.db["items"].count_where("id = ?", [item["id"]]) == 1


def test_register_fragment_for_a_cms_has_no_page_and_scoped_style(harness, tmp_path):
    h = harness(local(2026, 12, 7, 10, 0))
    frag = records.register_html(h.ctx, fragment=True)
    assert "<html" not in frag and "<head" not in frag and "<body" not in frag and "<!DOCTYPE" not in frag
    root = ET.fromstring(frag)  # one well-formed element
    assert root.tag == "section" and root.get("lang") == "sv" and root.get("class") == "uppsikt-register"
    assert root.find("h2").text == "Sociala medier – Ekby kommun"  # the CMS page has its own h1
    rows = root.findall("table/tbody/tr")
    assert len(rows) == 4 and all(td.get("data-label") for r in rows for td in r.findall("td"))
    style = root.find("style").text
    selectors = [sel.strip() for block in re.findall(r"(?:^|})([^{}@]+)\{", style) for sel in block.split(",")]
    assert selectors and all(sel.startswith(".uppsikt-") for sel in selectors), selectors
    assert "body{" not in style and "@media (max-width:40em)" in style
    db = tmp_path / "u.db"
    harness(local(2026, 12, 7, 10, 0), db=str(db))
    out = tmp_path / "konton-fragment.html"
    assert main(["export", "register", "--db", str(db), "--fragment", "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8").startswith('<section class="uppsikt-register"')


def test_register_page_is_responsive_and_hides_no_column(harness):
    h = harness(local(2026, 12, 7, 10, 0))
    page = records.register_html(h.ctx)
    assert "overflow-x" not in page  # no columns behind a scrollbar at desktop width
    assert "@media (max-width:40em)" in page and "content:attr(data-label)" in page
    assert 'role="table"' in page and 'role="cell"' in page  # table semantics survive display:block
