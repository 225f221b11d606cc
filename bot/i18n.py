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


def t(key: str, lang: str = "sv", /, **values: object) -> str:
    """Translate `key`; a missing key is a programming error and raises KeyError."""
    text = catalogue(lang if lang in LANGUAGES else "sv")[key]
    return text.format(**values) if values else text
