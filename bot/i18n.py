"""Message catalogues: every user-visible sentence comes from bot/locales/<lang>*.toml.

A language's catalogue is the union of `<lang>.toml` and `<lang>-<part>.toml`
(one part per core module); a key defined twice is an error.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

LOCALE_DIR = Path(__file__).resolve().parent / "locales"
LANGUAGES = ("sv", "en")


def _flatten(prefix: str, data: dict, out: dict[str, str]) -> None:
    for key, value in data.items():
        full = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            _flatten(full, value, out)
            if "other" in value and set(value) <= {"one", "other"}:
                out[full] = str(value["other"])  # a plural table also answers to its own key, with the "other" form
        else:
            out[full] = str(value)


@cache
def catalogue(lang: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for path in sorted([LOCALE_DIR / f"{lang}.toml", *LOCALE_DIR.glob(f"{lang}-*.toml")]):
        part: dict[str, str] = {}
        with path.open("rb") as fh:
            _flatten("", tomllib.load(fh), part)
        clash = set(part) & set(out)
        if clash:
            raise KeyError(f"{path.name} defines keys already defined: {sorted(clash)}")
        out |= part
    return out


PLURAL_FORMS = ("one", "other")


def plural_form(count: object) -> str:
    """Swedish and English share the rule: "one" for exactly 1 (and -1), "other" for every other count."""
    try:
        return "one" if abs(int(count)) == 1 else "other"  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return "other"


def t(key: str, lang: str = "sv", /, **values: object) -> str:
    """Translate `key`; a missing key is a programming error and raises KeyError.

    Plural forms: a key written as a table with `one` and `other` (`[records.search_header]
    one = "{count} träff" other = "{count} träffar"`) is chosen by the `count` value, so no
    sentence needs "träff(ar)".
    """
    cat = catalogue(lang if lang in LANGUAGES else "sv")
    text = cat[key]
    if "count" in values and f"{key}.other" in cat:
        text = cat.get(f"{key}.{plural_form(values['count'])}", text)
    return text.format(**values) if values else text
