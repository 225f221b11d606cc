"""The core's ports bundled: settings, store, clock, calendar. Core functions take `ctx` first."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from functools import cached_property

import sqlite_utils

from bot.calendar import BusinessCalendar
from bot.clock import Clock, to_epoch
from bot.i18n import t
from bot.messages import Message
from bot.core.stored_accounts import stored_accounts
from bot.settings import Account, Person, Policy, Settings


IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


def _ident(name: str) -> str:
    """Table and column names come from code, never from users; checked anyway."""
    if not IDENTIFIER.match(name):
        raise ValueError(f"bad SQL identifier {name!r}")
    return name


@dataclass(frozen=True)
class Problem:
    """One reason for a refusal: a catalogue key, the form fields it concerns (none: the whole request)
    and the values the sentence was filled in with. Adapters use it to put the sentence by the right field."""

    key: str
    fields: tuple[str, ...] = ()  # the form fields it concerns; empty: the request as a whole
    values: tuple[tuple[str, object], ...] = ()

    @property
    def field(self) -> str | None:
        return self.fields[0] if self.fields else None


class Refused(Exception):
    """A user's request that is not allowed or not understood; the message is shown to them.

    `str(exc)` is the whole sentence (or sentences); `problems` carries the same refusal structured
    (several can travel together), empty when the refusal names no field.
    """

    def __init__(self, text: str = "", *, problems: tuple[Problem, ...] | list[Problem] = ()):
        super().__init__(text)
        self.problems: tuple[Problem, ...] = tuple(problems)

    @property
    def field(self) -> str | None:
        """The field of the first problem that names one."""
        return next((p.field for p in self.problems if p.field), None)


@dataclass
class Context:
    settings: Settings
    db: sqlite_utils.Database
    clock: Clock
    calendars: dict[str, BusinessCalendar] = field(default_factory=dict)
    cache: dict[str, object] = field(default_factory=dict)  # derived, rebuildable state (the router)
    report_links: object | None = None  # bot.report.links.ReportLinks: signed links to the full monthly report

    # What `cache` keeps of the database's rows, dropped when a transaction or savepoint rolls back (the rows it was
    # read from may be gone): the watched accounts and the absences (bot/core/staff.py).
    DERIVED = ("accounts", "absence_index")

    def __post_init__(self) -> None:
        hooks = getattr(self.db, "rollback_hooks", None)  # bot.store.db.Store
        if hooks is not None:
            hooks.append(self.forget_derived)

    def forget_derived(self) -> None:
        for key in self.DERIVED:
            self.cache.pop(key, None)
        memo = self.cache.get("outbox_memo")  # the messages queued by what rolled back were never queued
        if memo is not None:
            memo.clear()  # type: ignore[attr-defined]

    # ------------------------------------------------------------------ time
    def now(self) -> dt.datetime:
        return self.clock.now()

    def now_ts(self) -> int:
        return to_epoch(self.clock.now())

    def today(self) -> dt.date:
        return self.clock.now().date()

    def calendar(self, policy: Policy | None = None) -> BusinessCalendar:
        """One calendar per office-hours setting (C1); the municipality's days off apply to all."""
        hours = (policy or self.settings.policy).office.hours
        cal = self.calendars.get(hours)
        if cal is None:
            office = (policy or self.settings.policy).office
            cal = BusinessCalendar(self.settings.municipality.extra_days_off, office.open, office.close)
            self.calendars[hours] = cal
        return cal

    # ------------------------------------------------------------------ text
    @property
    def lang(self) -> str:
        return self.settings.municipality.language

    def t(self, key: str, /, **values: object) -> str:
        return t(key, self.lang, **values)

    def problem(self, key: str, where: str | tuple[str, ...] | None = None, /, **values: object) -> Problem:
        """A structured problem: catalogue `key`, the form field(s) it concerns (`where`) and the values."""
        fields = (where,) if isinstance(where, str) else tuple(where or ())
        return Problem(key, fields, tuple(values.items()))

    def refusal(self, key: str, where: str | tuple[str, ...] | None = None, /, **values: object) -> Refused:
        """A refusal with one structured problem: `raise ctx.refusal("some.key", "field", value=...)`."""
        return Refused(self.t(key, **values), problems=(self.problem(key, where, **values),))

    # ------------------------------------------------------------------ config
    @property
    def accounts(self) -> dict[str, Account]:
        """Watched accounts: the configured ones plus those approved through a request (A1).

        Cached; call `forget_accounts()` after an approval or closure changes the set.
        """
        accounts = self.cache.get("accounts")
        if accounts is None:
            accounts = {**self.settings.accounts, **stored_accounts(self)}
            closed = {r[0] for r in self.db.execute("SELECT id FROM accounts WHERE status = 'closed'")}
            accounts = {k: v for k, v in accounts.items() if k not in closed}
            self.cache["accounts"] = accounts
        return accounts  # type: ignore[return-value]

    def forget_accounts(self) -> None:
        self.cache.pop("accounts", None)

    def account(self, account_id: str) -> Account:
        try:
            return self.accounts[account_id]
        except KeyError:
            raise self.refusal("error.unknown_account", account=account_id, known=", ".join(self.accounts)) from None

    def label(self, account: Account | str) -> str:
        """How an account is named in messages and reports: its name, and its platform too when another
        watched account has the same name ("Ekby kommun (Facebook)", "Ekby kommun (LinkedIn)"); with the
        account id as well when two accounts share both name and platform."""
        acc = account if isinstance(account, Account) else self.accounts.get(account)
        if acc is None:
            return str(account)
        if self._name_platforms()[1].get(acc.name, 0) < 2:
            return acc.name
        return self.t("account_label.name", name=acc.name, platform=self.platform_label(acc))

    def platform_label(self, acc: Account) -> str:
        """The platform's name ("LinkedIn"), with the account id when another account of the same name is on it too."""
        platform = self.platform_name(acc.platform)
        if self._name_platforms()[0].get((acc.name, acc.platform), 0) > 1:
            return self.t("account_label.platform_with_id", platform=platform, id=acc.id)
        return platform

    def platform_name(self, platform: str) -> str:
        from bot.i18n import catalogue

        return catalogue(self.lang if self.lang in ("sv", "en") else "sv").get(f"records.platform.{platform}", platform)

    def _name_platforms(self) -> tuple[dict[tuple[str, str], int], dict[str, int]]:
        """How many watched accounts share each (name, platform) and each name (kept until the accounts change)."""
        accounts = self.accounts
        cached = self.cache.get("name_platforms")
        if cached is None or cached[0] is not accounts:  # type: ignore[index]
            pairs: dict[tuple[str, str], int] = {}
            names: dict[str, int] = {}
            for a in accounts.values():
                pairs[(a.name, a.platform)] = pairs.get((a.name, a.platform), 0) + 1
                names[a.name] = names.get(a.name, 0) + 1
            cached = self.cache["name_platforms"] = (accounts, (pairs, names))
        return cached[1]  # type: ignore[index,return-value]

    def unit_name(self, unit_id: str) -> str:
        unit = self.settings.units.get(unit_id)
        return unit.name if unit else unit_id

    def account_by_channel(self, channel: str) -> Account | None:
        name = channel.lstrip("#")
        return next((a for a in self.accounts.values() if a.channel == name), None)

    def person(self, email: str) -> Person:
        p = self.settings.person(email)
        if p is None:
            raise self.refusal("error.unknown_person", email=email)
        return p

    def item(self, item_id: int) -> dict:
        """An item's row; Refused (item.not_found) when there is none."""
        rows = list(self.db.query("SELECT * FROM items WHERE id = ?", [item_id]))
        if not rows:
            raise self.refusal("item.not_found", id=item_id)
        return rows[0]

    def name_of(self, email: str | None) -> str:
        """A person's name for display; someone no longer in the config shows as their e-mail (never raises)."""
        if not email:
            return "–"
        p = self.settings.person(email)
        return p.name if p else email

    def knows(self, email: str | None) -> bool:
        """True for a person in the current config (a stored e-mail may name someone who has left)."""
        return bool(email) and self.settings.person(email) is not None

    def role_holders(self, role: str) -> list[str]:
        return [p.email for p in self.settings.with_role(role)]

    @cached_property
    def crisis_channel(self) -> str:
        return "#" + self.settings.municipality.crisis_channel

    # ------------------------------------------------------------------ writes (call inside db.atomic())
    def insert(self, table: str, row: dict) -> int:
        """Parameterised INSERT without sqlite-utils' per-call schema introspection (hot paths)."""
        cols = ", ".join(_ident(c) for c in row)
        marks = ", ".join("?" * len(row))
        cur = self.db.execute(f"INSERT INTO {_ident(table)} ({cols}) VALUES ({marks})", list(row.values()))
        return int(cur.lastrowid)

    def update(self, table: str, pk: object, changes: dict, pk_column: str = "id") -> None:
        sets = ", ".join(f"{_ident(c)} = ?" for c in changes)
        self.db.execute(f"UPDATE {_ident(table)} SET {sets} WHERE {_ident(pk_column)} = ?", [*changes.values(), pk])

    def emit(self, msg: Message) -> None:
        text = msg.to_json()
        outbox_id = self.insert("outbox", {
            "created_at": self.now_ts(), "kind": msg.kind, "target": msg.to, "account_id": msg.account,
            "item_id": msg.item, "message": text, "status": "pending",
        })
        memo = self.cache.get("outbox_memo")  # the outbox sends this very message, not its JSON decoded again
        if memo is not None:
            memo.remember(outbox_id, text, msg)  # type: ignore[attr-defined]

    def audit(self, actor: str, action: str, subject: str = "", **detail: object) -> None:
        self.insert("audit", {
            "at": self.now_ts(), "actor": actor, "action": action, "subject": subject,
            "detail": json.dumps(detail, ensure_ascii=False, default=str),
        })

    def once(self, key: str) -> bool:
        """Claim a dispatch key; True the first time only (restart-safe dedupe)."""
        cur = self.db.execute("INSERT OR IGNORE INTO dispatched (key, at) VALUES (?, ?)", [key, self.now_ts()])
        return cur.rowcount == 1

    def get_state(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute("SELECT value FROM state WHERE key = ?", [key]).fetchone()
        return row[0] if row else default

    def set_state(self, key: str, value: str | None) -> None:
        if value is None:
            self.db.execute("DELETE FROM state WHERE key = ?", [key])
        else:
            self.db.execute("INSERT OR REPLACE INTO state (key, value) VALUES (?, ?)", [key, value])
