"""Run a scenario on a fake clock and report every message the bot sends.

Scenario file (TOML, local Stockholm times)::

    start = 2026-12-21T08:00:00
    end = 2027-01-08T18:00:00
    [[event]]
    at = 2026-12-23T14:00:00
    item = { account = "facebook", author = "Kalle", text = "Hej! När öppnar ÅVC efter jul?" }
    [[event]]
    at = 2026-12-22T09:00:00
    command = { as = "lena@example.se", text = "/franvaro 2026-12-22 2027-01-06 ersattare=per@example.se" }
    [[event]]
    at = 2026-12-23T15:00:00
    action = { as = "per@example.se", item = 1, name = "take" }

Event kinds: ``item`` (account, text, author, external_id, source), ``command``
(as, text, channel), ``action`` (as, name, item or account, to, reason,
answer, note), ``react`` (as, item, emoji). Between events the clock jumps straight to the next moment
something is due, so a simulated year runs in seconds.
"""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from bot.bootstrap import Bot, RecordingChat, build
from bot.clock import FakeClock, from_epoch, to_local
from bot.core.context import Refused
from bot.i18n import t
from bot.messages import Attachment, Message, Reply
from bot.report import post
from bot.settings import Settings

EVENT_KINDS = {
    "item": ({"account", "text"}, {"author", "external_id", "source", "kind", "permalink"}),
    "command": ({"as", "text"}, {"channel"}),
    "action": ({"as", "name"}, {"item", "account", "to", "reason", "answer", "note", "author"}),
    "react": ({"as", "item", "emoji"}, set()),
}
MAX_ITEM = 10**18  # an item number fits SQLite's INTEGER


class ScenarioError(Exception):
    """The scenario file is wrong; the message says where and how to write it."""


@dataclass(frozen=True)
class Event:
    at: dt.datetime
    kind: str
    data: dict
    index: int


@dataclass
class Scenario:
    start: dt.datetime
    end: dt.datetime
    events: list[Event] = field(default_factory=list)


def _time(value: object, where: str, lang: str = "sv") -> dt.datetime:
    if isinstance(value, dt.datetime):
        return to_local(value)
    if isinstance(value, str):
        try:
            return to_local(dt.datetime.fromisoformat(value))
        except ValueError:
            pass
    raise ScenarioError(f"{where}: " + t("scenario.bad_time", lang, value=repr(value)))


def load_scenario(path: Path, lang: str = "sv") -> Scenario:
    """Read and check a scenario file; a ScenarioError is written in `lang`."""
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise ScenarioError(f"{path}: " + t("scenario.file_missing", lang)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: " + t("scenario.bad_toml", lang, error=exc)) from None
    return parse_scenario(data, str(path), lang)


def parse_scenario(data: dict, name: str = "scenario", lang: str = "sv") -> Scenario:
    for key in data:
        if key not in ("start", "end", "event"):
            raise ScenarioError(f"{name}: {key}: " + t("scenario.unknown_key", lang, allowed="start, end, event"))
    if "start" not in data or "end" not in data:
        raise ScenarioError(f"{name}: " + t("scenario.start_end_required", lang))
    start, end = _time(data["start"], f"{name}: start", lang), _time(data["end"], f"{name}: end", lang)
    if end <= start:
        raise ScenarioError(f"{name}: " + t("scenario.end_before_start", lang))
    scenario = Scenario(start, end)
    raw = data.get("event", [])
    if not isinstance(raw, list):
        raise ScenarioError(f"{name}: event: " + t("scenario.events_not_list", lang))
    for i, ev in enumerate(raw):
        where = f"{name}: event[{i}]"
        if not isinstance(ev, dict):
            raise ScenarioError(f"{where}: " + t("scenario.event_not_table", lang))
        kinds = [k for k in ev if k in EVENT_KINDS]
        extra = [k for k in ev if k not in EVENT_KINDS and k != "at"]
        if len(kinds) != 1 or extra:
            raise ScenarioError(f"{where}: " + t("scenario.event_kind", lang, kinds=", ".join(EVENT_KINDS)))
        kind = kinds[0]
        body = ev[kind]
        if not isinstance(body, dict):
            example = '{ as = "lena@example.se", ... }'
            raise ScenarioError(f"{where}.{kind}: " + t("scenario.body_not_table", lang, example=example))
        required, optional = EVENT_KINDS[kind]
        missing = required - set(body)
        unknown = set(body) - required - optional
        if missing:
            raise ScenarioError(f"{where}.{kind}: " + t("scenario.missing_keys", lang, keys=", ".join(sorted(missing))))
        if unknown:
            message = t("scenario.unknown_keys", lang, keys=", ".join(sorted(unknown)),
                        allowed=", ".join(sorted(required | optional)))
            raise ScenarioError(f"{where}.{kind}: {message}")
        for key, value in body.items():  # `item` is an item number, everything else text
            expected = int if key == "item" else str
            if type(value) is not expected or (expected is int and not 0 <= value < MAX_ITEM):
                raise ScenarioError(f"{where}.{kind}.{key}: " + t("scenario.wrong_type", lang, value=repr(value)[:80],
                                                                   expected=t(f"config.type.{expected.__name__}", lang)))
        if "at" not in ev:
            raise ScenarioError(f"{where}: " + t("scenario.at_missing", lang))
        at = _time(ev["at"], f"{where}.at", lang)
        if not scenario.start <= at <= scenario.end:
            raise ScenarioError(f"{where}.at: " + t("scenario.outside", lang, at=at.isoformat()))
        scenario.events.append(Event(at, kind, body, i))
    scenario.events.sort(key=lambda e: (e.at, e.index))
    return scenario


@dataclass(frozen=True)
class Record:
    at: dt.datetime
    message: Message

    def as_json(self) -> dict:
        m = self.message
        return {"at": self.at.isoformat(), "kind": m.kind, "to": m.to, "account": m.account, "item": m.item,
                "text": m.text}


def apply(bot: Bot, ev: Event) -> Reply | None:
    """One scenario event (item, command, action, react) through the bot's public entry points; what the
    person was told, if anything (the simulator and the Slack and Teams tests play scenarios through this)."""
    d = ev.data
    if ev.kind == "item":
        try:
            bot.intake(d["account"], d["text"], author=d.get("author", ""), source=d.get("source", "simulator"),
                       external_id=d.get("external_id"), kind=d.get("kind", "comment"), permalink=d.get("permalink", ""))
        except Refused as exc:
            return Reply(str(exc), ok=False)
        return None
    if ev.kind == "command":
        return bot.command(d["as"], d["text"], d.get("channel"))
    if ev.kind == "react":
        return bot.react(d["as"], int(d["item"]), str(d["emoji"]))
    value = str(d.get("item", d.get("account", "")))
    kwargs = {k: str(d[k]) for k in ("to", "reason", "answer", "note", "author") if k in d}
    return bot.action(d["as"], d["name"], value, **kwargs)


def run(settings: Settings, scenario: Scenario, db: str | Path | None = None) -> tuple[list[Record], Bot]:
    """Run the scenario on a fake clock; `db` keeps the simulated database in a file (for
    `uppsikt report oversight --db PATH` and the other reports afterwards), else in memory."""
    clock = FakeClock(scenario.start)
    chat = RecordingChat(clock)
    bot = build(settings, clock=clock, db=db, chat=chat)
    # A simulated monthly post carries its text and key figures; its charts are drawn only when asked for
    # (`report_attachments`), so a simulated year does not pay for drawing twelve reports nobody looks at.
    post.defer_drawing(bot.ctx)
    for ev in scenario.events:
        bot.advance(clock, ev.at)
        reply = apply(bot, ev)
        if reply is not None:  # what the person saw, in order with everything else
            kind = "reply" if reply.ok else "refused"
            chat.sent.append((clock.now(), Message(kind=kind, to=ev.data.get("as", ""), text=reply.text)))
    bot.advance(clock, scenario.end)
    return [Record(at, m) for at, m in chat.sent], bot


def report_attachments(bot: Bot, month: str) -> tuple[Attachment, ...]:
    """The attachments (summary chart, full HTML report) of the simulated monthly post of `month` ('2027-03'),
    drawn now from the figures it was posted with: the same files the real post carries."""
    with bot.lock:
        return post.deferred_attachments(bot.ctx, month)


def state(bot: Bot) -> dict:
    rows = bot.db.query(
        "SELECT id, account_id, status, assignee, first_reply_due, full_answer_due FROM items ORDER BY id"
    )
    def iso(ts: int | None) -> str | None:
        return from_epoch(ts).isoformat() if ts else None

    return {"kind": "state", "items": [
        {"id": r["id"], "account": r["account_id"], "status": r["status"], "assignee": r["assignee"],
         "first_reply_due": iso(r["first_reply_due"]), "full_answer_due": iso(r["full_answer_due"])}
        for r in rows
    ]}


def oversight_report(bot: Bot, scenario: Scenario) -> str:
    """The oversight report (O5) of the simulated period, as printed at the end of the simulation."""
    from bot.core import oversight

    start, end = scenario.start.date(), scenario.end.date()
    with bot.lock:
        text = oversight.render_report(bot.ctx, oversight.report(bot.ctx, start, end))
    return bot.ctx.t("scenario.report_header", start=start.isoformat(), end=end.isoformat()) + "\n" + text


def oversight_report_json(bot: Bot, scenario: Scenario) -> dict:
    from bot.core import oversight

    with bot.lock:
        rep = oversight.report(bot.ctx, scenario.start.date(), scenario.end.date())
        return {"kind": "oversight_report", "from": scenario.start.date().isoformat(),
                "to": scenario.end.date().isoformat(), "report": oversight.report_json(rep)}


def render_text(records: list[Record], lang: str = "sv") -> str:
    from bot.adapters.console import kind_label

    lines = []
    for r in records:
        m = r.message
        day = t("console.weekdays", lang).split()[r.at.weekday()]
        head = f"{day} {r.at.strftime('%Y-%m-%d %H:%M')}  {kind_label(m.kind, lang):<22} → {m.to}"
        lines.append(head)
        lines.extend("    " + line for line in m.text.splitlines())
    return "\n".join(lines)


def json_lines(records: list[Record], bot: Bot, scenario: Scenario | None = None) -> str:
    """One JSON object per message, then (with the scenario) the oversight report, and last the state."""
    out = [json.dumps(r.as_json(), ensure_ascii=False) for r in records]
    if scenario is not None:
        out.append(json.dumps(oversight_report_json(bot, scenario), ensure_ascii=False))
    out.append(json.dumps(state(bot), ensure_ascii=False))
    return "\n".join(out)
