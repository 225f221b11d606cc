"""Console comfort: Tab completion of commands, account ids and e-mails (the completer itself), and line
editing with a history kept in the data folder, driven through a real terminal (a pty)."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.adapters.console import Console, ConsoleChat
from bot.adapters.line_editing import Completer, Vocabulary
from tests.conftest import REPO, Harness, local


@pytest.fixture
def completer(settings):
    h = Harness(settings, local(2026, 12, 7, 9))
    console = Console(h.bot, h.clock, out=open(os.devnull, "w", encoding="utf-8"))
    return Completer(console.vocabulary)


def test_the_first_word_completes_console_words_and_slash_commands(completer):
    assert completer.candidates("/fr", "/fr") == ["/fraga", "/franvaro"]
    assert completer.candidates("/fran", "/fran") == ["/franvaro"]
    assert completer.candidates("/k", "/k") == ["/kanal", "/klarsprak", "/konto", "/kris"]
    assert completer.candidates("vä", "vä") == ["vänta"]
    assert "/uppsikt" in completer.candidates("", "") and "post" in completer.candidates("", "")


def test_later_words_complete_account_ids_and_emails(completer):
    assert completer.candidates("/uppsikt klart fa", "fa") == ["facebook"]
    assert completer.candidates("/som pe", "pe") == ["per@example.se"]
    assert completer.candidates("post INS", "INS") == ["instagram"]  # case does not matter
    assert completer.candidates("/frånvaro 2026-12-22 2027-01-06 ersättare=le", "ersättare=le") \
        == ["ersättare=lena@example.se"]  # the value after key= completes, the key stays
    assert completer.candidates("/som zz", "zz") == []


def test_the_readline_protocol_returns_matches_then_none(completer):
    completer.line = lambda: "/uppsikt klart "
    everything = completer.candidates("/uppsikt klart ", "")
    assert {"facebook", "instagram", "per@example.se"} <= set(everything)
    assert [completer.complete("", i) for i in range(len(everything) + 1)] == [*everything, None]
    completer.line = lambda: "/ka"
    assert completer.complete("/ka", 0) == "/kanal " and completer.complete("/ka", 1) is None


def test_piped_input_still_works_without_line_editing(settings):
    """Not a terminal: plain reading (tests, scripts), no history file."""
    import io

    h = Harness(settings, local(2026, 12, 7, 9))
    out = io.StringIO()
    h.bot.chat = ConsoleChat(h.clock, out=out)
    Console(h.bot, h.clock, out=out).loop(io.StringIO("/kanal krisgruppen\n\navsluta\n"), interactive=False,
                                          history=Path("/nonexistent/never-written"))
    assert "krisgruppen" in out.getvalue()


# --------------------------------------------------------------------------- through a terminal


class Terminal:
    """`uppsikt run` on a pseudo-terminal: type keys, read the screen's bytes."""

    def __init__(self, args: list[str], env: dict[str, str]):
        import pty

        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=REPO,
                                     close_fds=True)
        os.close(slave)
        self.seen = b""

    def read_until(self, text: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        want = text.encode("utf-8")
        while want not in self.seen and time.monotonic() < deadline:
            ready, _, _ = select.select([self.master], [], [], 0.2)
            if ready:
                try:
                    self.seen += os.read(self.master, 4096)
                except OSError:
                    break
        assert want in self.seen, f"{text!r} not on screen:\n{self.seen.decode('utf-8', 'replace')[-2000:]}"
        return self.seen.decode("utf-8", "replace")

    def type(self, keys: str) -> None:
        os.write(self.master, keys.encode("utf-8"))

    def close(self) -> int:
        try:
            code = self.proc.wait(timeout=30)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
            os.close(self.master)
        return code


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a pty and GNU readline")
def test_tab_completion_arrow_keys_and_history_on_a_terminal(tmp_path):
    pytest.importorskip("readline")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "UPPSIKT_"))}
    env.update(TERM="xterm", INPUTRC="/dev/null", PYTHONIOENCODING="utf-8")
    args = [sys.executable, "-m", "bot", "run", "--start", "2026-12-07T09:00", "--data", str(tmp_path)]
    first = Terminal(args, env)
    first.read_until("> ")
    first.type("/kan\t")  # Tab completes the console's /kanal (and the space after it)
    first.type("krisgruppen\r")
    first.read_until("» Kanal: krisgruppen")
    first.type("/som lena@ex\t\r")  # e-mails complete too
    first.read_until("lena@example.se")
    first.type("avsluta\r")
    assert first.close() == 0
    history = (tmp_path / "console-history").read_text(encoding="utf-8")
    assert "/som lena@example.se" in history and "/kanal krisgruppen" in history

    second = Terminal(args, env)
    second.read_until("> ")
    second.type("\x1b[A\x1b[A\r")  # arrow up twice: the line before `avsluta` in the last run
    screen = second.read_until("Lena")  # `/som lena@example.se` again: acting as Lena Berg
    assert "^[[A" not in screen  # the arrow keys edit, they do not print
    second.type("avsluta\r")
    assert second.close() == 0
