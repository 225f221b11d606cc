"""Every user-visible sentence comes from the catalogue; Swedish and English have the same keys."""

from __future__ import annotations

import re
from pathlib import Path

from bot.i18n import catalogue, t

BOT = Path(__file__).resolve().parents[2] / "bot"


def test_languages_have_the_same_keys_and_placeholders():
    sv, en = catalogue("sv"), catalogue("en")
    assert set(sv) == set(en)
    for key in sv:
        assert set(re.findall(r"{(\w+)}", sv[key])) == set(re.findall(r"{(\w+)}", en[key])), key


def test_every_literal_key_used_in_code_exists():
    keys = set(catalogue("sv"))
    used = set()
    for path in BOT.rglob("*.py"):
        used |= set(re.findall(r"""\bt\(\s*"([a-z_]+(?:\.[a-z_]+)+)\"""", path.read_text(encoding="utf-8")))
    missing = sorted(k for k in used if k not in keys)
    assert not missing, missing


def test_swedish_is_default_and_addresses_the_reader_as_du():
    assert t("oversight.logged", account="X", time="09:00").startswith("Tack!")
    assert "du" in t("help.fraga").lower().split() or "Du" in t("absence.not_allowed_for_other")
