"""An archive with every kind of event on the example config's Facebook account (issue 12), filled as the
platform and the colleagues fill it: PlatformEvents through the facade's platform_delivery, and
archive.mark for what Uppsikt decides (removal with ground and decision-maker, registration, weeding)."""

from __future__ import annotations

import datetime as dt

from bot.core import archive
from bot.facade import PlatformEvent
from tests.conftest import local

FB_PAGE = "100000000000001"  # config/example.toml: the facebook account's external_id


def deliver(h, *events: PlatformEvent) -> None:
    h.bot.platform_delivery("page", [FB_PAGE], list(events))


def event(action: str, external_id: str, text: str = "", **kw) -> PlatformEvent:
    return PlatformEvent(entry_id=FB_PAGE, action=action, source="facebook", external_id=external_id, text=text,
                         raw=kw.pop("raw", f'{{"id": "{external_id}", "message": "{text}"}}'), **kw)


def at(h, when: dt.datetime) -> None:
    h.clock.set(when)


def fill(h) -> dict[str, int]:
    """A post of the municipality's own with a thread under it, over three days in March 2026: an edited
    question, a hidden and unhidden comment, one the author deleted, a personal attack removed by Lena
    (ground and decision-maker), a synpunkt registered with a diarium reference and a confidential one,
    and a weeded thank-you. Returns the archive ids by name."""
    def post(when: dt.datetime, *events: PlatformEvent) -> None:
        at(h, when)
        deliver(h, *events)

    post(local(2026, 3, 2, 9, 0),
         event("add", "p1", "Badet öppnar igen på måndag efter renoveringen.", kind="post", own=True,
               author="Ekby kommun", permalink="https://www.facebook.com/ekbykommun/posts/p1",
               created=local(2026, 3, 2, 9, 0)))
    post(local(2026, 3, 2, 10, 0), event("add", "c1", "Varför är badet stängt?", parent_id="p1", author="Anna Ek",
                                         author_id="2001", created=local(2026, 3, 2, 10, 0)))
    post(local(2026, 3, 2, 10, 20), event("edit", "c1", "Varför är badet stängt i dag?", edit_key="e1"))
    post(local(2026, 3, 2, 10, 25),
         event("add", "r1", "Hej Anna! Badet öppnar på måndag. /Lena, kommunikatör", own=True, parent_id="c1",
               author="Ekby kommun", created=local(2026, 3, 2, 10, 25)))
    post(local(2026, 3, 3, 8, 0), event("add", "c2", "Bra att det blir klart!", parent_id="p1", author="Olle",
                                        author_id="2002", created=local(2026, 3, 3, 8, 0)))
    post(local(2026, 3, 3, 8, 5), event("hide", "c2"))
    post(local(2026, 3, 3, 8, 10), event("unhide", "c2"))
    post(local(2026, 3, 3, 8, 30), event("add", "c3", "Glömde fråga om priset.", parent_id="p1", author="Sven",
                                         author_id="2003", created=local(2026, 3, 3, 8, 30)))
    post(local(2026, 3, 3, 8, 40), event("remove", "c3"))
    post(local(2026, 3, 3, 9, 0), event("add", "c4", "Ni på kommunen är idioter allihop.", parent_id="p1",
                                        author="Troll", author_id="2004", created=local(2026, 3, 3, 9, 0)))
    post(local(2026, 3, 3, 9, 30), event("add", "c5", "Jag föreslår längre öppettider på helger.", parent_id="p1",
                                         author="Eva", author_id="2005", created=local(2026, 3, 3, 9, 30)))
    post(local(2026, 3, 3, 9, 45),
         event("add", "c6", "Min dotter Lisa har personnummer 20120304-1234 och kan inte simma.", parent_id="p1",
               author="Per", author_id="2006", created=local(2026, 3, 3, 9, 45)))
    post(local(2026, 3, 3, 9, 50), event("add", "c7", "Tack!", parent_id="p1", author="Kim", author_id="2007",
                                         created=local(2026, 3, 3, 9, 50)))
    ids = {name: archive.find(h.ctx, "facebook", name)["id"] for name in ("p1", "c1", "r1", "c2", "c3", "c4", "c5",
                                                                          "c6", "c7")}
    at(h, local(2026, 3, 3, 11, 0))
    with h.ctx.db.atomic():
        archive.mark(h.ctx, ids["c4"], "removed", actor="lena@example.se", ground="personal_attack",
                     decided_by="lena@example.se")
        archive.mark(h.ctx, ids["c5"], "registered", actor="lena@example.se", reference="KS 2026/123")
        archive.mark(h.ctx, ids["c6"], "removed", actor="karin@example.se", ground="personal_data",
                     decided_by="karin@example.se", secrecy=True)
        archive.mark(h.ctx, ids["c6"], "registered", actor="karin@example.se", reference="KS 2026/124",
                     secrecy=True)
    at(h, local(2026, 3, 4, 2, 0))
    with h.ctx.db.atomic():
        archive.mark(h.ctx, ids["c7"], "weeded", actor="uppsikt")
    return ids
