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

from bot.bootstrap import Bot
from bot.clock import Clock, FakeClock
from bot.core.context import Refused
from bot.messages import Message

DURATION_RE = re.compile(r"^(\d+)([mhd])$")


@dataclass
class ConsoleChat:
    """Prints what the bot sends, the way a chat would show it."""

    clock: Clock
    out: TextIO = sys.stdout

    def send(self, message: Message) -> None:
        when = self.clock.now().strftime("%Y-%m-%d %H:%M")
        where = message.to if message.to_channel else f"@{message.to} (privat)"
        verb = "uppdaterar kort" if message.kind == "item_updated" else message.kind
        print(f"\n[{when}] {where} · {verb}", file=self.out)
        if message.mentions:
            print("  " + " ".join(f"@{m}" for m in message.mentions), file=self.out)
        for line in message.text.splitlines():
            print(f"  {line}", file=self.out)
        for label, value in message.fields:
            print(f"    {label}: {value}", file=self.out)
        for a in message.actions:
            print(f"    [{a.label}]  → knapp {a.name} {a.value}", file=self.out)


HELP = """Konsolen – samma bot som i Slack och Teams.
  /som EMAIL                 agera som en konfigurerad person (nu: {actor})
  /kanal NAMN                skriv kommandon i en kanal, t.ex. /kanal konto-facebook (nu: {channel})
  post KONTO [av=NAMN] TEXT  en invånare skriver på kontot, t.ex. post facebook av=Kalle När öppnar ÅVC?
  knapp NAMN VÄRDE [nyckel=värde …]
                             tryck på en knapp, t.ex. knapp take 3, knapp oversight_done facebook,
                             knapp reassign 3 to=omar@example.se reason=Bygglov
  reagera ÄRENDE EMOJI       reagera på ett ärende, t.ex. reagera 3 sos (kris) eller reagera 3 wastebasket (ta bort)
  tick                       kör schemaläggaren nu
  vänta 30m|2h|1d            (bara med --start) flytta klockan framåt och kör schemat
  hjälp                      den här texten
  avsluta                    avsluta
Alla /kommandon fungerar som i Slack: /uppsikt hjälp, /frånvaro hjälp, /fråga hjälp, /ärende hjälp, /konto hjälp."""


class Console:
    def __init__(self, bot: Bot, clock: Clock, out: TextIO = sys.stdout):
        self.bot = bot
        self.clock = clock
        self.out = out
        communicators = bot.ctx.role_holders("communicator")
        self.actor = communicators[0] if communicators else next(iter(bot.ctx.settings.people))
        self.channel: str | None = None

    def say(self, text: str) -> None:
        for line in text.splitlines():
            print(f"» {line}", file=self.out)

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
            self.say(HELP.format(actor=self.actor, channel=self.channel or "ingen"))
        elif lower == "/som":
            email = rest.strip().lower()
            if self.bot.ctx.settings.person(email) is None:
                self.say(self.bot.ctx.t("error.unknown_person", email=email))
            else:
                self.actor = email
                self.say(f"Du är nu {self.bot.ctx.person(email).name} ({email}).")
        elif lower == "/kanal":
            self.channel = rest.strip().lstrip("#") or None
            self.say(f"Kanal: {self.channel or 'ingen'}")
        elif lower == "post":
            self._post(rest)
        elif lower == "knapp":
            self._button(rest)
        elif lower in ("reagera", "react"):
            self._react(rest)
        elif lower == "tick":
            self.bot.tick()
        elif lower in ("vänta", "vanta"):
            self._wait(rest.strip())
        elif line.startswith("/"):
            reply = self.bot.command(self.actor, line, self.channel)
            self.say(reply.text)
        else:
            self.say("Jag förstår inte. Skriv hjälp för att se vad du kan göra.")
        return True

    def _post(self, rest: str) -> None:
        account, _, text = rest.strip().partition(" ")
        author = "Invånare"
        m = re.match(r"^av=(\S+)\s+(.*)$", text)
        if m:
            author, text = m.group(1), m.group(2)
        if not account or not text:
            self.say("Skriv: post KONTO [av=NAMN] TEXT, till exempel post facebook När öppnar ÅVC?")
            return
        try:
            self.bot.intake(account, text, author=author, source="console")
        except Refused as exc:
            self.say(str(exc))

    def _button(self, rest: str) -> None:
        parts = rest.split()
        if len(parts) < 2:
            self.say("Skriv: knapp NAMN VÄRDE, till exempel knapp take 3")
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
        if len(parts) != 2 or not parts[0].isdigit():
            self.say("Skriv: reagera ÄRENDE EMOJI, till exempel reagera 3 sos eller reagera 3 wastebasket")
            return
        reply = self.bot.react(self.actor, int(parts[0]), parts[1])
        known = ", ".join(f"{e} ({a})" for e, a in self.bot.ctx.settings.municipality.reactions)
        self.say(reply.text if reply else f"Den reaktionen betyder inget för Uppsikt. Använd: {known}")

    def _wait(self, spec: str) -> None:
        m = DURATION_RE.match(spec)
        if not isinstance(self.clock, FakeClock):
            self.say("vänta fungerar bara när konsolen startats med --start (simulerad klocka).")
            return
        if not m:
            self.say("Skriv till exempel vänta 30m, vänta 2h eller vänta 1d.")
            return
        unit = {"m": "minutes", "h": "hours", "d": "days"}[m.group(2)]
        self.bot.advance(self.clock, self.clock.now() + dt.timedelta(**{unit: int(m.group(1))}))
        self.say(f"Klockan är nu {self.clock.now().strftime('%Y-%m-%d %H:%M')}.")

    def loop(self, stdin: TextIO = sys.stdin, interactive: bool = True) -> None:
        """Read commands until end of input. The scheduler (or `vänta`) drives time; each line also ticks."""
        muni = self.bot.ctx.settings.municipality.name
        self.say(f"Uppsikt för {muni}. Du är {self.actor}. Skriv hjälp för att se vad du kan göra.")
        self.bot.tick()
        while True:
            if interactive:
                print("> ", end="", file=self.out, flush=True)
            line = stdin.readline()
            if not line or not self.handle(line):
                break
            self.bot.tick()
