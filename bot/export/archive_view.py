"""The archive of one account for a period, read as threads: each post with its comments and replies,
every version of every text and every event in each object's life (issue 12, R4, R7).

Only reads the tables of migration m010_archive (bot/core/archive.py writes them), and the items and
removals an archived object became, for the diarium reason and the removal record.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from bot.core.context import Context

# The keys of an archive event's detail that the SIP and the rendering show, as bot/core/archive.py writes
# them (`removed`: ground, decided_by, secrecy; `registered`: reason, secrecy, reference).
REFERENCE_KEYS = ("reference",)
GROUND_KEYS = ("ground",)
DECIDED_BY_KEYS = ("decided_by",)
SECRECY_KEYS = ("secrecy",)


@dataclass
class Entry:
    """One archived object (post, comment, reply or message) with its versions, events and replies."""

    obj: dict
    versions: list[dict]
    events: list[dict]
    children: list["Entry"] = field(default_factory=list)
    in_period: bool = True  # False: a post from before the period, shown as the context of its comments
    item: dict | None = None
    removal: dict | None = None
    media: list[dict] = field(default_factory=list)  # its attachments (bot/core/media.py, table archive_media)

    @property
    def id(self) -> int:
        return int(self.obj["id"])

    @property
    def text(self) -> str:
        """The latest text (empty when weeded or never seen)."""
        return self.versions[-1]["text"] if self.versions else ""

    @property
    def references(self) -> list[str]:
        """Diarium references given when the object was registered (R1-R3)."""
        out: list[str] = []
        for e in self.events:
            ref = first(detail(e), REFERENCE_KEYS)
            if e["kind"] == "registered" and ref and str(ref) not in out:
                out.append(str(ref))
        return out

    @property
    def secret(self) -> bool:
        """Confidential (R3): an event says so, the item was marked 'sekretess' or the removal was confidential."""
        if any(first(detail(e), SECRECY_KEYS) for e in self.events):
            return True
        if self.item is not None and self.item.get("diarium_reason") == "sekretess":
            return True
        return bool(self.removal and self.removal.get("confidential"))

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()


def detail(event: dict) -> dict:
    try:
        value = json.loads(event.get("detail") or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def first(d: dict, keys: tuple[str, ...]) -> object:
    for k in keys:
        if d.get(k) not in (None, ""):
            return d[k]
    return None


def removal_of(entry: Entry, event: dict) -> tuple[str, str]:
    """(ground, decision-maker) of a removal event: its detail, else the removal record of the item."""
    d = detail(event)
    ground = first(d, GROUND_KEYS) or (entry.removal or {}).get("ground") or ""
    by = first(d, DECIDED_BY_KEYS) or (entry.removal or {}).get("decided_by") or event.get("actor") or ""
    return str(ground), str(by)


def has_archive(ctx: Context, account_id: str) -> bool:
    """The account has archived content (a platform connection brings it): snapshots can be made automatically."""
    return ctx.db.execute("SELECT 1 FROM archive_objects WHERE account_id = ? LIMIT 1", [account_id]).fetchone() \
        is not None


def first_created(ctx: Context, account_id: str) -> int | None:
    row = ctx.db.execute("SELECT MIN(created_at) FROM archive_objects WHERE account_id = ?", [account_id]).fetchone()
    return row[0] if row else None


def _entry(ctx: Context, obj: dict, in_period: bool = True) -> Entry:
    versions = list(ctx.db.query("SELECT * FROM archive_versions WHERE object_id = ? ORDER BY version", [obj["id"]]))
    events = list(ctx.db.query("SELECT * FROM archive_events WHERE object_id = ? ORDER BY at, id", [obj["id"]]))
    item = removal = None
    if obj.get("item_id") is not None:
        item = next(iter(ctx.db.query("SELECT * FROM items WHERE id = ?", [obj["item_id"]])), None)
        removal = next(iter(ctx.db.query("SELECT * FROM removals WHERE item_id = ? ORDER BY id DESC LIMIT 1",
                                         [obj["item_id"]])), None)
    media = list(ctx.db.query("SELECT * FROM archive_media WHERE object_id = ? ORDER BY id", [obj["id"]]))
    return Entry(obj=obj, versions=versions, events=events, in_period=in_period, item=item, removal=removal,
                 media=media)


def threads(ctx: Context, account_id: str, lo: int, hi: int) -> list[Entry]:
    """Every object of the account posted in [lo, hi) (epoch seconds), as threads in time order.

    A comment whose post is older than the period hangs under that post, shown as context
    (`in_period` False); a comment whose parent is not archived at all stands on its own."""
    rows = list(ctx.db.query(
        "SELECT * FROM archive_objects WHERE account_id = ? AND created_at >= ? AND created_at < ? "
        "ORDER BY created_at, id", [account_id, lo, hi]))
    entries = {(r["source"], r["external_id"]): _entry(ctx, r) for r in rows}
    roots: list[Entry] = []
    for key, entry in list(entries.items()):
        parent_id = entry.obj["parent_external_id"]
        if not parent_id:
            roots.append(entry)
            continue
        parent = entries.get((key[0], parent_id))
        if parent is None:  # the post (or parent comment) is from before the period: show it as context
            found = list(ctx.db.query("SELECT * FROM archive_objects WHERE source = ? AND external_id = ?",
                                      [key[0], parent_id]))
            if found:
                parent = _entry(ctx, found[0], in_period=False)
                entries[(key[0], parent_id)] = parent
                roots.append(parent)
        if parent is None:
            roots.append(entry)
        else:
            parent.children.append(entry)
    # a context post may itself be a comment whose parent is in the list: leave it as a root (flat context)
    roots.sort(key=lambda e: (e.obj["created_at"], e.id))
    for e in entries.values():
        e.children.sort(key=lambda c: (c.obj["created_at"], c.id))
    return roots


def count(entries: list[Entry]) -> int:
    """How many objects of the period (context posts not counted)."""
    return sum(1 for root in entries for e in root.walk() if e.in_period)


def original_json(entries: list[Entry], media: dict[int, list[dict]] | None = None) -> list[dict]:
    """The platform's original JSON of every version of every object, as the archive keeps it; with `media`
    (object id -> its attachments as the package lists them) an object that has attachments says which."""
    out = []
    for root in entries:
        for e in root.walk():
            o = e.obj
            versions = []
            for v in e.versions:
                try:
                    raw: object = json.loads(v["raw_json"]) if v["raw_json"] else None
                except ValueError:
                    raw = v["raw_json"]  # kept as the platform sent it, even if it is not JSON
                versions.append({"version": v["version"], "captured_at": v["captured_at"], "text": v["text"],
                                 "raw": raw})
            out.append({
                "archive_id": o["id"], "source": o["source"], "external_id": o["external_id"], "kind": o["kind"],
                "parent_external_id": o["parent_external_id"], "own": bool(o["own"]), "author": o["author"],
                "author_id": o["author_id"], "permalink": o["permalink"], "created_at": o["created_at"],
                "first_seen_at": o["first_seen_at"], "via": o["via"], "state": o["state"],
                "in_period": e.in_period, "weeded_at": o["weeded_at"], "versions": versions,
                "events": [{"kind": ev["kind"], "at": ev["at"], "actor": ev["actor"], "detail": detail(ev)}
                           for ev in e.events],
                "diarium_references": e.references, "secrecy": e.secret,
            })
            if media and media.get(o["id"]):
                out[-1]["media"] = media[o["id"]]
    return out
