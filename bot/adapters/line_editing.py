"""Line editing for the console: readline where the platform has it (arrow keys, history kept in the data
folder between runs, Tab completion of commands, account ids and e-mail addresses); plain input elsewhere
(Windows' Python has no readline: every command still works, only without editing).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

try:
    import readline
except ImportError:  # Windows, or a Python built without it
    readline = None  # type: ignore[assignment]

log = logging.getLogger("uppsikt.console")
HISTORY_LENGTH = 1000
DELIMITERS = " \t\n"  # complete whole words: e-mails and account ids hold . @ - _


@dataclass(frozen=True)
class Vocabulary:
    """What Tab completes: the first word of a line from `commands`, later words (and the value after
    `key=`) from `accounts` and `emails`."""

    commands: Sequence[str] = ()
    accounts: Sequence[str] = ()
    emails: Sequence[str] = ()


@dataclass
class Completer:
    """A readline completer: `complete(text, state)` with the line so far from `line()`."""

    vocabulary: Callable[[], Vocabulary]
    line: Callable[[], str] = field(default=lambda: "")
    _matches: list[str] = field(default_factory=list)

    def candidates(self, line: str, text: str) -> list[str]:
        """Every completion of `text`, the word being typed at the end of `line`."""
        words = self.vocabulary()
        before = line[: len(line) - len(text)] if line.endswith(text) else line
        if not before.strip():
            pool, prefix, stem = list(words.commands), "", text
        else:
            key, eq, value = text.rpartition("=")
            prefix, stem = (key + eq, value) if eq else ("", text)
            pool = [*words.accounts, *words.emails]
        folded = stem.casefold()
        seen: dict[str, None] = {}
        for word in pool:
            if word.casefold().startswith(folded):
                seen.setdefault(prefix + word, None)
        return sorted(seen)

    def complete(self, text: str, state: int) -> str | None:
        if state == 0:
            self._matches = self.candidates(self.line(), text)
            if len(self._matches) == 1:  # one match: finish the word (Python's readline adds no space itself)
                self._matches = [self._matches[0] + " "]
        return self._matches[state] if state < len(self._matches) else None


class LineEditor:
    """Reads lines with readline when stdin is a terminal and readline exists; `read` returns None at the
    end of input. The history is read from and written to `history` (None: no history file)."""

    def __init__(self, vocabulary: Callable[[], Vocabulary], history: Path | None):
        self.history = history
        self.completer = Completer(vocabulary, line=readline.get_line_buffer if readline else (lambda: ""))
        if readline is None:
            return
        readline.set_completer(self.completer.complete)
        readline.set_completer_delims(DELIMITERS)
        if "libedit" in (getattr(readline, "backend", "") or readline.__doc__ or ""):
            readline.parse_and_bind("bind ^I rl_complete")  # macOS' libedit
        else:
            readline.parse_and_bind("tab: complete")
        readline.set_history_length(HISTORY_LENGTH)
        if history is not None and history.is_file():
            try:
                readline.read_history_file(history)
            except OSError as exc:  # unreadable: start without, the commands still work
                log.warning("console history %s not read: %s", history, exc)

    @property
    def available(self) -> bool:
        return readline is not None

    def read(self, prompt: str) -> str | None:
        try:
            return input(prompt)
        except EOFError:
            return None

    def close(self) -> None:
        if readline is None or self.history is None:
            return
        try:
            self.history.parent.mkdir(parents=True, exist_ok=True)
            readline.write_history_file(self.history)
        except OSError as exc:
            log.warning("console history %s not written: %s", self.history, exc)
