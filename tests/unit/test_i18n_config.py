"""check-config, scenario files, the database and the console speak English when asked (Swedish by default)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io

import pytest

from bot import simulate
from bot.adapters.console import Console, ConsoleChat
from bot.settings import DEFAULT_CONFIG, ConfigError, check_config, load_settings
from bot.store.db import StoreError, open_db
from tests.conftest import Harness, local

BROKEN = '''
[municipality]
name = "Trasiga kommun"
policy = "lekeberg"
colour = "blå"
extra_days_off = ["igår"]

[policy_overrides.oversight]
prompt_time = "8.30"

[[unit]]
id = "u"
name = "Enheten"
manager = "chef@example.se"

[[person]]
email = "chef@example.se"
name = "Chef"
title = "Chef"
unit = "u"
roles = ["wizard"]

[[account]]
id = "fb"
platform = "myspace"
name = "FB"
unit = "u"
channel = "fb"
owner = "chef@example.se"
editors = 3
'''


def _problems(tmp_path, lang: str) -> list[str]:
    path = tmp_path / "broken.toml"
    path.write_text(BROKEN, encoding="utf-8")
    _, problems = check_config(path, lang=lang)
    return [str(p) for p in problems]


def test_check_config_problems_in_english(tmp_path):
    en = _problems(tmp_path, "en")
    text = "\n".join(en)
    for needle in (
        "municipality.colour: unknown key; allowed keys are name, policy",
        "municipality.extra_days_off[0]: invalid date 'igår'; write a TOML date such as 2027-05-07",
        "policy_overrides.oversight.prompt_time: invalid time '8.30'; write HH:MM",
        "person[0].roles: unknown role 'wizard'; allowed are communicator",
        "account[0].platform: unknown platform 'myspace'",
        "account[0].editors: wrong type (3); must be a list of texts",
        "account[0].substitute: the account has no substitute",
        "person.roles: nobody has the role 'crisis_group'; the configuration needs a crisis communication group",
    ):
        assert needle in text, f"missing {needle!r} in:\n{text}"
    for word in ("okänd", "ogiltig", "saknar", "tillåtna", "ska vara"):
        assert word not in text, f"Swedish {word!r} left in:\n{text}"
    sv = _problems(tmp_path, "sv")
    assert len(sv) == len(en)  # the same problems, at the same file and key
    assert [p.split(": ")[:2] for p in sv] == [p.split(": ")[:2] for p in en]
    assert "municipality.colour: okänd nyckel" in "\n".join(sv)
    assert _problems(tmp_path, "sv") == [str(p) for p in check_config(tmp_path / "broken.toml")[1]]  # Swedish default


def test_unreadable_config_and_load_settings_in_english(tmp_path):
    _, problems = check_config(tmp_path / "nope.toml", lang="en")
    assert "the file does not exist; give the path to a TOML file" in str(problems[0])
    bad = tmp_path / "bad.toml"
    bad.write_text("[municipality\nname=", encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_settings(bad, lang="en")
    assert "invalid TOML" in str(exc.value) and "correct the syntax" in str(exc.value)
    assert load_settings(DEFAULT_CONFIG, lang="en").municipality.name  # a clean file loads in either language


def test_scenario_errors_in_english(tmp_path):
    start, end = dt.datetime(2026, 12, 21, 8, 0), dt.datetime(2026, 12, 22, 8, 0)
    with pytest.raises(simulate.ScenarioError) as exc:
        simulate.parse_scenario({"start": end, "end": start}, "s.toml", lang="en")
    assert str(exc.value) == "s.toml: end must be after start"
    with pytest.raises(simulate.ScenarioError) as exc:
        simulate.parse_scenario({"start": start, "end": end, "event": [{"at": start, "item": "x"}]}, "s.toml", lang="en")
    assert str(exc.value) == 's.toml: event[0].item: must be a table, for example { as = "lena@example.se", ... }'
    with pytest.raises(simulate.ScenarioError) as exc:
        simulate.parse_scenario({"start": start, "end": end, "event": [{"at": start, "item": "x"}]}, "s.toml")
    assert "ska vara en tabell, till exempel { as" in str(exc.value)  # Swedish by default
    with pytest.raises(simulate.ScenarioError) as exc:
        simulate.load_scenario(tmp_path / "nope.toml", lang="en")
    assert str(exc.value).endswith("nope.toml: the file does not exist")


def test_store_error_in_english(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError) as exc:
        open_db(blocker / "sub" / "u.db", lang="en")
    assert "cannot be created" in str(exc.value) and "Check the path" in str(exc.value)


def _english(settings):
    return dataclasses.replace(settings, municipality=dataclasses.replace(settings.municipality, language="en"))


def test_console_speaks_the_bots_language(settings):
    h = Harness(_english(settings), local(2026, 12, 7, 10, 0))
    out = io.StringIO()
    h.bot.chat = ConsoleChat(h.clock, out)
    lines = ("help\n/som per@example.se\nblah\npost facebook av=Kalle When does the library open?\n"
             "button take 1\nbutton take\nexit\n")
    Console(h.bot, h.clock, out).loop(io.StringIO(lines), interactive=False)
    text = out.getvalue()
    assert "Uppsikt for" in text and "Type help to see what you can do." in text
    assert "The console – the same bot as in Slack and Teams." in text
    assert "act as a configured person (now: " in text and "(now: none)" in text
    assert "You are now Per Holm (per@example.se)." in text and "I don't understand." in text
    assert "→ button take 1" in text and "Write: button NAME VALUE" in text  # what it shows is what you type
    assert h.ctx.db["items"].get(1)["assignee"] == "per@example.se"
    assert "Konsolen" not in text and "Jag förstår inte" not in text and "→ knapp" not in text


def test_console_help_is_swedish_by_default(settings):
    h = Harness(settings, local(2026, 12, 7, 10, 0))
    out = io.StringIO()
    h.bot.chat = ConsoleChat(h.clock, out)
    Console(h.bot, h.clock, out).loop(io.StringIO("hjälp\n"), interactive=False)
    assert "Konsolen – samma bot som i Slack och Teams." in out.getvalue() and "(nu: ingen)" in out.getvalue()
