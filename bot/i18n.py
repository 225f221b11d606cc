"""Message catalogues: every user-visible sentence comes from bot/locales/<lang>.toml."""

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
    with (LOCALE_DIR / f"{lang}.toml").open("rb") as fh:
        out: dict[str, str] = {}
        _flatten("", tomllib.load(fh), out)
        return out


def t(key: str, lang: str = "sv", /, **values: object) -> str:
    """Translate `key`; a missing key is a programming error and raises KeyError."""
    text = catalogue(lang if lang in LANGUAGES else "sv")[key]
    return text.format(**values) if values else text
