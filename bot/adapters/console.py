"""The embedded default: a console chat that runs exactly the same core as Slack and Teams.

Act as a configured person, type the same slash commands, post citizen items,
press buttons and watch the bot's messages as they would appear in the chat.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from bot.facade import Bot, Clock, FakeClock, Refused, is_number
from bot.i18n import t
from bot.messages import Message

CONSOLE_WORDS = ("/som", "/kanal", "post", "knapp", "reagera", "vänta", "tick", "hjälp", "avsluta")

DURATION_RE = re.compile(r"^(\d+)([mhd])$")
HELP_WORDS = ("hjälp", "hjalp", "help", "?")
# `knapp NAMN VÄRDE`: the Swedish name shown and typed for each button; the core's English names still work.
BUTTON_WORDS = {
    "take": "ta", "reassign": "ge", "first_reply_sent": "första-svar", "forwarded": "vidare", "answered": "svarat",
    "no_reply": "inget-svar", "remove": "ta-bort", "crisis": "kris", "oversight_done": "klart",
    "account_approve": "godkänn", "account_reject": "avslå", "two_factor_attest": "intyga",
}
BUTTON_ALIASES = {
    **{sv: core for core, sv in BUTTON_WORDS.items()},
    "forsta-svar": "first_reply_sent", "godkann": "account_approve", "avsla": "account_reject",
    "stang": "no_reply", "flytta": "reassign", "besvarad": "answered", "tabort": "remove",
    **{core: core for core in BUTTON_WORDS},
}
# `knapp … nyckel=värde`: Swedish keys, the English ones as aliases.
BUTTON_KEYS = {"till": "to", "orsak": "reason", "svar": "answer", "anteckning": "note", "av": "author",
               "to": "to", "reason": "reason", "answer": "answer", "note": "note", "author": "author"}


def kind_label(kind: str, lang: str) -> str:
    """The Swedish (or English) name of a message kind, as the console and the simulator show it."""
    from bot.i18n import catalogue

    return catalogue(lang).get(f"console.kind.{kind}", kind.replace("_", " "))


def asks_help(rest: str, known: set[str]) -> bool:
    """`hjälp` as the last word after only words that say nothing (account ids, numbers, button names,
    emoji, key=value): `post facebook hjälp` asks for help, `post facebook Jag behöver hjälp` is a post."""
    words = rest.split()
    if not words or words[-1].lower() not in HELP_WORDS:
        return False
    return all(w.lower() in known or "=" in w or is_number(w) or w.startswith("#") for w in words[:-1])


@dataclass
class ConsoleChat:
    """Prints what the bot sends, the way a chat would show it.

    `lang` is the language of the console's own words; left as None, the Console
    sets it to the bot's language.
    """

    clock: Clock
    out: TextIO | None = None  # None: sys.stdout as it is when printing (not when imported)
    lang: str | None = None

    @property
    def stream(self) -> TextIO:
        return self.out or sys.stdout

    def send(self, message: Message) -> None:
        lang = self.lang or "sv"
        when = self.clock.now().strftime("%Y-%m-%d %H:%M")
        where = message.to if message.to_channel else f"@{message.to} " + t("console.private", lang)
        verb = t("console.updates_card", lang) if message.kind == "item_updated" else kind_label(message.kind, lang)
        print(f"\n[{when}] {where} · {verb}", file=self.stream)
        if message.mentions:
            print("  " + " ".join(f"@{m}" for m in message.mentions), file=self.stream)
        for line in message.text.splitlines():
            print(f"  {line}", file=self.stream)
        for label, value in message.fields:
            print(f"    {label}: {value}", file=self.stream)
        for att in message.attachments:  # issue 14: the monthly report's files, by name
            print(f"    📎 {att.title or att.filename} ({att.filename}, {len(att.content()) // 1024} kB)", file=self.stream)
        button = t("console.button", lang)
        for a in message.actions:
            if a.url:  # a link, not a button
                print(f"    [{a.label}]  → {a.url}", file=self.stream)
                continue
            name = BUTTON_WORDS.get(a.name, a.name) if lang == "sv" else a.name
            print(f"    [{a.label}]  → {button} {name} {a.value}", file=self.stream)


class Console:
    def __init__(self, bot: Bot, clock: Clock, out: TextIO | None = None):
        self.bot = bot
        self.clock = clock
        self._out = out
        communicators = bot.role_holders("communicator")
        self.actor = communicators[0] if communicators else next(iter(bot.settings.people))
        self.channel: str | None = None
        if isinstance(bot.chat, ConsoleChat) and bot.chat.lang is None:
            bot.chat.lang = bot.lang

    @property
    def lang(self) -> str:
        return self.bot.lang

    @property
    def stream(self) -> TextIO:
        return self._out or sys.stdout

    def say(self, text: str) -> None:
        for line in text.splitlines():
            print(f"» {line}", file=self.stream)

    def handle(self, line: str) -> bool:
        """One input line; returns False to quit."""
        line = line.strip()
        if not line:
            return True
        word, _, rest = line.partition(" ")
        lower = word.lower()
        console_words = {"avsluta": "quit", "exit": "quit", "quit": "quit", "/som": "som", "/kanal": "kanal",
                         "post": "post", "knapp": "button", "button": "button", "reagera": "react", "react": "react",
                         "tick": "tick", "vänta": "wait", "vanta": "wait", "wait": "wait"}
        known = {*self.bot.accounts(), *BUTTON_ALIASES, *(e for e, _ in self.bot.settings.municipality.reactions)}
        if lower in console_words and asks_help(rest, known):  # help never acts
            self.say(t(f"console.help_{console_words[lower]}", self.lang))
            return True
        if lower in ("avsluta", "exit", "quit"):
            return False
        if lower in ("hjälp", "hjalp", "help", "?"):
            channel = self.channel or t("console.no_channel", self.lang)
            self.say(t("console.help", self.lang, actor=self.actor, channel=channel))
        elif lower == "/som":
            email = rest.strip().lower()
            if self.bot.settings.person(email) is None:
                self.say(self.bot.t("error.unknown_person", email=email))
            else:
                self.actor = email
                self.say(t("console.acting_as", self.lang, name=self.bot.person(email).name, email=email))
        elif lower == "/kanal":
            self.channel = rest.strip().lstrip("#") or None
            self.say(t("console.channel", self.lang, channel=self.channel or t("console.no_channel", self.lang)))
        elif lower == "post":
            self._post(rest)
        elif lower in ("knapp", "button"):
            self._button(rest)
        elif lower in ("reagera", "react"):
            self._react(rest)
        elif lower == "tick":
            self.bot.tick()
        elif lower in ("vänta", "vanta", "wait"):
            self._wait(rest.strip())
        elif line.startswith("/"):
            reply = self.bot.command(self.actor, line, self.channel)
            self.say(reply.text)
        else:
            self.say(t("console.not_understood", self.lang))
        return True

    def _post(self, rest: str) -> None:
        account, _, text = rest.strip().partition(" ")
        author = t("console.default_author", self.lang)
        m = re.match(r"^av=(\S+)\s+(.*)$", text)
        if m:
            author, text = m.group(1), m.group(2)
        if not account or not text:
            self.say(t("console.usage_post", self.lang))
            return
        try:
            self.bot.intake(account, text, author=author, source="console")
        except Refused as exc:
            self.say(str(exc))

    def _button(self, rest: str) -> None:
        parts = rest.split()
        if len(parts) < 2:
            self.say(t("console.usage_button", self.lang))
            return
        name = BUTTON_ALIASES.get(parts[0].lower(), parts[0])
        kwargs: dict[str, str] = {}
        free: list[str] = []
        for p in parts[2:]:
            key, eq, value = p.partition("=")
            if eq and key.lower() in BUTTON_KEYS:
                kwargs[BUTTON_KEYS[key.lower()]] = value
            else:
                free.append(p)
        if free:
            key = "reason" if "reason" in kwargs else "answer" if name == "answered" else "reason"
            kwargs[key] = " ".join(filter(None, [kwargs.get(key, ""), *free]))
        self.say(self.bot.action(self.actor, name, parts[1], via="console", **kwargs).text)

    def _react(self, rest: str) -> None:
        parts = rest.split()
        if len(parts) != 2 or not is_number(parts[0]):
            self.say(t("console.usage_react", self.lang))
            return
        reply = self.bot.react(self.actor, int(parts[0]), parts[1])
        known = ", ".join(f"{e} ({BUTTON_WORDS.get(a, a)})" for e, a in self.bot.settings.municipality.reactions)
        self.say(reply.text if reply else t("console.unknown_reaction", self.lang, known=known))

    def _wait(self, spec: str) -> None:
        m = DURATION_RE.match(spec)
        if not isinstance(self.clock, FakeClock):
            self.say(t("console.wait_needs_start", self.lang))
            return
        if not m:
            self.say(t("console.usage_wait", self.lang))
            return
        unit = {"m": "minutes", "h": "hours", "d": "days"}[m.group(2)]
        self.bot.advance(self.clock, self.clock.now() + dt.timedelta(**{unit: int(m.group(1))}))
        self.say(t("console.clock_now", self.lang, time=self.clock.now().strftime("%Y-%m-%d %H:%M")))

    def vocabulary(self):
        """What Tab completes: the console's words and the slash commands, account ids, e-mails."""
        from bot.adapters.line_editing import Vocabulary

        settings = self.bot.settings
        return Vocabulary(commands=(*CONSOLE_WORDS, *(f"/{c}" for c in self.bot.command_names())),
                          accounts=tuple(settings.accounts), emails=tuple(settings.people))

    def loop(self, stdin: TextIO = sys.stdin, interactive: bool = True, history: Path | None = None) -> None:
        """Read commands until end of input. The scheduler (or `vänta`) drives time; each line also ticks.
        On a terminal (stdin is sys.stdin and interactive) lines are read with line editing, Tab completion
        and a history kept in `history` (bot/adapters/line_editing.py)."""
        from bot.adapters.line_editing import LineEditor

        muni = self.bot.settings.municipality.name
        self.say(t("console.welcome", self.lang, municipality=muni, actor=self.actor))
        editor = LineEditor(self.vocabulary, history) if interactive and stdin is sys.stdin else None
        if editor is not None and not editor.available:
            self.say(t("console.history.unavailable", self.lang))
            editor = None
        self.bot.tick()
        try:
            while True:
                if editor is not None:
                    line = editor.read("> ")
                else:
                    if interactive:
                        print("> ", end="", file=self.stream, flush=True)
                    line = stdin.readline() or None
                if line is None or not self.handle(line):
                    break
                self.bot.tick()
        finally:
            if editor is not None:
                editor.close()
