"""argparse in the user's language: its own words ("usage:", "options", "error:", "the following
arguments are required", …) come from the locale catalogue (`argparse.*` in bot/locales/*-duty.toml).

argparse looks its texts up through gettext at the moment it builds a parser, prints help or reports an
error; `translated()` swaps that lookup for the catalogue while the CLI builds and runs its parser, and
puts it back afterwards, so nothing else in the process is affected.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager

from bot.i18n import catalogue

# argparse's message ids (Python 3.12 and 3.13) and the catalogue key of each.
MESSAGES = {
    "usage: ": "usage",
    "positional arguments": "positional",
    "options": "options",
    "subcommands": "subcommands",
    "show this help message and exit": "help",
    "show program's version number and exit": "version",
    " (default: %(default)s)": "default",
    "argument %(argument_name)s: %(message)s": "argument",
    "unknown parser %(parser_name)r (choices: %(choices)s)": "unknown_parser",
    "can't open '%(filename)s': %(error)s": "cant_open",
    "unrecognized arguments: %s": "unrecognized",
    "not allowed with argument %s": "not_allowed_with",
    "ignored explicit argument %r": "ignored_explicit",
    "the following arguments are required: %s": "required",
    "one of the arguments %s is required": "one_required",
    "expected one argument": "expected_one",
    "expected at most one argument": "expected_at_most_one",
    "expected at least one argument": "expected_at_least_one",
    "ambiguous option: %(option)s could match %(matches)s": "ambiguous",
    "unexpected option string: %s": "unexpected_option",
    "invalid %(type)s value: %(value)r": "invalid_value",
    "invalid choice: %(value)r (choose from %(choices)s)": "invalid_choice",
    "%(prog)s: error: %(message)s\n": "error",
    "%(prog)s: warning: %(message)s\n": "warning",
}
PLURAL_MESSAGES = {"expected %s argument": "expected_n"}


@contextmanager
def translated(lang: str = "sv") -> Iterator[None]:
    cat = catalogue(lang)

    def gettext(message: str) -> str:
        key = MESSAGES.get(message)
        text = cat.get(f"argparse.{key}") if key else None
        return (text + "\n" if message.endswith("\n") and not text.endswith("\n") else text) if text else message

    def ngettext(singular: str, plural: str, n: int) -> str:
        key = PLURAL_MESSAGES.get(singular)
        form = "one" if n == 1 else "other"
        return cat.get(f"argparse.{key}.{form}", singular if n == 1 else plural) if key else (
            singular if n == 1 else plural)

    saved = argparse._, argparse.ngettext  # type: ignore[attr-defined]
    argparse._, argparse.ngettext = gettext, ngettext  # type: ignore[attr-defined]
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved  # type: ignore[attr-defined]
