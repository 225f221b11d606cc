"""The embedded default: a console chat that runs exactly the same core as Slack and Teams.

Act as a configured person, type the same slash commands, post citizen items,
press buttons and watch the bot's messages as they would appear in the chat.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from dataclasses import dataclass
from typing import TextIO

from bot.facade import Bot, Clock, FakeClock, Refused, is_number
from bot.i18n import t
from bot.messages import Message

DURATION_RE = re.compile(r"^(\d+)([mhd])$")


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
        verb = t("console.updates_card", lang) if message.kind == "item_updated" else message.kind
        print(f"\n[{when}] {where} · {verb}", file=self.stream)
        if message.mentions:
            print("  " + " ".join(f"@{m}" for m in message.mentions), file=self.stream)
        for line in message.text.splitlines():
            print(f"  {line}", file=self.stream)
        for label, value in message.fields:
            print(f"    {label}: {value}", file=self.stream)
        button = t("console.button", lang)
        for a in message.actions:
            print(f"    [{a.label}]  → {button} {a.name} {a.value}", file=self.stream)


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
        kwargs: dict[str, str] = {}
        free: list[str] = []
        for p in parts[2:]:
            key, eq, value = p.partition("=")
            if eq and key in ("to", "reason", "answer", "note"):
                kwargs[key] = value
            else:
                free.append(p)
        if free:
            key = "reason" if "reason" in kwargs else "answer" if parts[0] == "answered" else "reason"
            kwargs[key] = " ".join(filter(None, [kwargs.get(key, ""), *free]))
        self.say(self.bot.action(self.actor, parts[0], parts[1], via="console", **kwargs).text)

    def _react(self, rest: str) -> None:
        parts = rest.split()
        if len(parts) != 2 or not is_number(parts[0]):
            self.say(t("console.usage_react", self.lang))
            return
        reply = self.bot.react(self.actor, int(parts[0]), parts[1])
        known = ", ".join(f"{e} ({a})" for e, a in self.bot.settings.municipality.reactions)
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

    def loop(self, stdin: TextIO = sys.stdin, interactive: bool = True) -> None:
        """Read commands until end of input. The scheduler (or `vänta`) drives time; each line also ticks."""
        muni = self.bot.settings.municipality.name
        self.say(t("console.welcome", self.lang, municipality=muni, actor=self.actor))
        self.bot.tick()
        while True:
            if interactive:
                print("> ", end="", file=self.stream, flush=True)
            line = stdin.readline()
            if not line or not self.handle(line):
                break
            self.bot.tick()
