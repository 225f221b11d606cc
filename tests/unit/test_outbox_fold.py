"""Issue 16 point 11: a burst of comments reaches people within minutes of Slack's one message a second.

While a channel is backed up by its rate limit, the new items' cards waiting for it are folded into bundles (one
message listing many items, each with its card's buttons); while a person's reminders are backed up, their
digests are compact (the item numbers by kind). Nothing is lost, repeated or reordered; an in-process port (the
simulator, the scenario tests) is never backed up, so it never folds."""

from __future__ import annotations

import datetime as dt
import re

from bot.messages import SHOW_CARD, Action, Message
from bot.outbox import (BUNDLE_MAX_ITEMS, BUNDLE_THRESHOLD, COMPACT_WINDOW, DIGEST_MAX_CHARS, DIGEST_MAX_LINES,
                        DIGEST_WINDOW, ChatError, RecordingChat, first_words)
from tests.conftest import Harness, local

MONDAY = local(2026, 12, 7, 9, 0)
CHANNEL = "#konto-instagram"
PERSON = "maria@example.se"


class Throttled:
    """A chat port with Slack's limit per conversation (SlackChat's token bucket: 3 at once, then one a second on
    the harness's clock); it says "retry after" instead of sending, and records what it sent."""

    digests = True
    bundles = True
    bundle_menus = True

    def __init__(self, clock, burst: int = 3):
        self.clock, self.burst = clock, burst
        self.sent: list[Message] = []
        self.refused = 0
        self._buckets: dict[str, tuple[float, float]] = {}

    def to(self, target: str) -> list[Message]:
        return [m for m in self.sent if m.to == target]

    def send(self, message: Message) -> None:
        now = self.clock.now().timestamp()
        tokens, at = self._buckets.get(message.to, (self.burst, now))
        tokens = min(self.burst, tokens + (now - at))
        if tokens < 1:
            self._buckets[message.to] = (tokens, now)
            self.refused += 1
            raise ChatError("chat.postMessage: Uppsikt's own rate limit", retry_after=1)
        self._buckets[message.to] = (tokens - 1, now)
        self.sent.append(message)


def new_card(h: Harness, n: int, to: str = CHANNEL, account: str = "instagram") -> Message:
    label = h.ctx.label(account)
    return Message(kind="item", to=to, account=account, item=n,
                   text=h.ctx.t("card.title", id=n, account=label,
                                text=f"Fråga {n}: när öppnar återvinningscentralen i Norrby efter jul och var "
                                     f"kan jag lämna grovsopor?"),
                   fields=((h.ctx.t("card.status"), "Ny"), (h.ctx.t("card.author"), f"Anna {n}"),
                           (h.ctx.t("card.first_reply_due"), "2026-12-07 13:00")),
                   actions=tuple(Action(a, a, str(n)) for a in ("take", "reassign", "first_reply_sent", "forwarded",
                                                                "answered", "no_reply", "remove", "crisis")),
                   card=f"item:{n}")


def emit(h: Harness, messages: list[Message]) -> None:
    with h.bot.lock, h.bot.db.atomic():
        for m in messages:
            h.ctx.emit(m)


def drain(h: Harness, seconds: int) -> None:
    h.run_until(h.clock.now() + dt.timedelta(seconds=seconds))
    assert h.bot.db.execute("SELECT COUNT(*) FROM outbox WHERE status = 'pending'").fetchone()[0] == 0


def listed(m: Message) -> list[int]:
    """The items a channel message shows: a bundle's entries, or the card's own item."""
    return [e.item for e in m.entries] if m.kind == "bundle" else [m.item]


def test_a_backed_up_channel_gets_its_new_cards_as_bundles_each_item_once_and_in_order(settings):
    h = Harness(settings, MONDAY)
    h.bot.flush()
    chat = h.bot.chat = Throttled(h.clock)
    count = 400
    emit(h, [new_card(h, n) for n in range(1, count + 1)])
    drain(h, 120)
    shown = [n for m in chat.to(CHANNEL) for n in listed(m)]
    assert shown == list(range(1, count + 1))  # every item exactly once, in the order they came
    bundles = [m for m in chat.to(CHANNEL) if m.kind == "bundle"]
    cards = [m for m in chat.to(CHANNEL) if m.kind == "item"]
    # three cards go before the limit bites; then bundles until no more than a minute of cards waits
    assert len(cards) <= 3 + BUNDLE_THRESHOLD and len(bundles) >= (count - 3 - BUNDLE_THRESHOLD) // BUNDLE_MAX_ITEMS
    assert len(chat.to(CHANNEL)) < count // 4, len(chat.to(CHANNEL))
    for b in bundles:
        lines = b.text.split("\n")
        assert len(lines) <= DIGEST_MAX_LINES and len(b.text) <= DIGEST_MAX_CHARS and len(b.entries) > 1
        assert lines[1:] == [e.text for e in b.entries]  # the text shows what the entries list, nothing cut off
        assert lines[0].startswith(f"{len(b.entries)} nya ärenden på {h.ctx.label('instagram')}")
        assert lines[0].endswith("Välj i menyn vid ett ärende vad du vill göra, eller skriv /ärende och numret.")
        assert b.card == f"bundle:{b.card.split(':')[1]}" and b.to == CHANNEL and b.account == "instagram"
        for e in b.entries:
            assert e.text.startswith(f"Ärende {e.item} · Anna {e.item}: ”Fråga {e.item}: när öppnar")
            assert e.text.endswith("· första svar senast 2026-12-07 13:00")
            assert [a.name for a in e.actions][-1] == SHOW_CARD  # the card's buttons, then "show the whole card"
            assert [a.name for a in e.actions][:-1] == ["take", "reassign", "first_reply_sent", "forwarded",
                                                       "answered", "no_reply", "remove", "crisis"]
    # the bundles went out within a few minutes of Slack's pace, not one card a second
    assert chat.refused > 0


def test_a_run_of_new_cards_is_bundled_but_an_update_between_them_keeps_its_place(settings):
    h = Harness(settings, MONDAY)
    h.bot.flush()
    chat = h.bot.chat = Throttled(h.clock)
    update = Message(kind="item_updated", to=CHANNEL, account="instagram", item=5, text="Ärende 5 uppdaterat",
                     card="item:5")
    note = Message(kind="moderation_note", to=CHANNEL, text="En anteckning om ärende 7", thread="item:7")
    emit(h, [new_card(h, n) for n in range(1, 101)] + [update] + [new_card(h, n) for n in range(101, 201)] + [note])
    drain(h, 120)
    order = []
    for m in chat.to(CHANNEL):
        order += [("new", n) for n in listed(m)] if m.kind in ("item", "bundle") else [(m.kind, m.item)]
    assert order == [("new", n) for n in range(1, 101)] + [("item_updated", 5)] + \
        [("new", n) for n in range(101, 201)] + [("moderation_note", None)]
    assert any(m.kind == "bundle" for m in chat.to(CHANNEL))


def test_a_channel_with_few_cards_waiting_gets_ordinary_cards(settings):
    h = Harness(settings, MONDAY)
    h.bot.flush()
    chat = h.bot.chat = Throttled(h.clock)
    emit(h, [new_card(h, n) for n in range(1, BUNDLE_THRESHOLD + 1)])  # a minute of Slack's limit: not folded
    drain(h, 120)
    assert [m.kind for m in chat.to(CHANNEL)] == ["item"] * BUNDLE_THRESHOLD
    assert [m.item for m in chat.to(CHANNEL)] == list(range(1, BUNDLE_THRESHOLD + 1))
    assert chat.refused > 0  # it was at the limit all along


def test_an_in_process_port_never_folds(settings):
    """The simulator and the scenario tests (RecordingChat) are never backed up: a burst stays a card each."""
    h = Harness(settings, MONDAY)
    assert isinstance(h.bot.chat, RecordingChat)
    emit(h, [new_card(h, n) for n in range(1, 301)])
    h.bot.flush()
    assert [m.kind for _, m in h.chat.sent if m.to == CHANNEL] == ["item"] * 300


def test_a_port_that_does_not_show_bundles_gets_cards(settings):
    h = Harness(settings, MONDAY)
    h.bot.flush()
    chat = Throttled(h.clock)
    chat.bundles = False
    h.bot.chat = chat
    emit(h, [new_card(h, n) for n in range(1, 201)])
    drain(h, 300)
    assert [m.item for m in chat.to(CHANNEL)] == list(range(1, 201)) and {m.kind for m in chat.to(CHANNEL)} == {"item"}


def test_a_channel_with_several_accounts_names_the_account_on_each_line(settings):
    """And a port without menus (Teams shows the text) is told to use /ärende, not a menu it does not have."""
    h = Harness(settings, MONDAY)
    h.bot.flush()
    chat = h.bot.chat = Throttled(h.clock)
    chat.bundle_menus = False
    emit(h, [new_card(h, n, account="instagram" if n % 2 else "facebook") for n in range(1, 201)])
    drain(h, 120)
    bundles = [m for m in chat.to(CHANNEL) if m.kind == "bundle"]
    assert bundles and all(b.account is None for b in bundles)
    for b in bundles:
        assert b.text.startswith(f"{len(b.entries)} nya ärenden kom på kort tid")
        assert b.text.split("\n")[0].endswith("Skriv /ärende och numret för att se ett ärende och vad du kan göra "
                                              "med det, till exempel /ärende 12.") and "menyn" not in b.text
        for e in b.entries:
            account = "instagram" if e.item % 2 else "facebook"
            assert e.text.startswith(f"Ärende {e.item} · {h.ctx.label(account)} · Anna {e.item}:")


def assignment(n: int) -> Message:
    return Message(kind="assignment", to=PERSON, account="facebook", item=n, thread=f"item:{n}",
                   text=f"Nytt ärende {n} till dig: När öppnar återvinningscentralen efter jul? Svara senast 13:00.",
                   actions=tuple(Action(a, a, str(n)) for a in ("first_reply_sent", "forwarded", "answered")))


def compact_numbers(text: str) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for line in text.split("\n")[1:]:
        label, sep, numbers = line.partition(": #")
        if sep:
            out.setdefault(label, []).extend(int(x) for x in re.findall(r"#(\d+)", "#" + numbers))
    return out


def test_a_backed_up_persons_digest_is_compact_and_lists_every_item(settings):
    h = Harness(settings, MONDAY)
    h.bot.flush()
    chat = h.bot.chat = Throttled(h.clock)
    count = COMPACT_WINDOW * 2 + 345
    nudges = [Message(kind="nudge", to=PERSON, account="facebook", item=n, thread=f"item:{n}",
                      text=f"Ärende {n} väntar på svar") for n in range(5000, 5040)]
    reminder = Message(kind="oversight_reminder", to=PERSON, text="Tillsynen av Facebook är inte gjord i dag.")
    emit(h, [assignment(n) for n in range(1, count + 1)] + nudges + [reminder])
    drain(h, 600)
    digests = [m for m in chat.to(PERSON) if m.kind == "digest"]
    compact = [m for m in digests if "i kort form" in m.text]
    assert compact and len(chat.to(PERSON)) < count // 100, len(chat.to(PERSON))  # hundreds of items a message
    seen: dict[str, list[int]] = {}
    for m in chat.to(PERSON):
        assert len(m.text) <= DIGEST_MAX_CHARS and len(m.text.split("\n")) <= DIGEST_MAX_LINES + 1, len(m.text)
        if m in compact:
            assert len(m.text.split("\n")) <= DIGEST_MAX_LINES
            assert m.actions == ()  # every item's buttons stay on its card
            assert m.text.startswith("Du har ") and not m.text.endswith("…")
            for label, numbers in compact_numbers(m.text).items():
                seen.setdefault(label, []).extend(numbers)
        else:  # the first went as ordinary digests, before the limit bit
            lines = m.text.split("\n")
            seen.setdefault("whole", []).extend(
                int(re.match(r"• Nytt ärende (\d+) ", line).group(1)) for line in lines if line.startswith("• Nytt"))
            seen.setdefault("whole nudges", []).extend(
                int(n) for line in lines for n in re.findall(r"^• Ärende (\d+) väntar på svar$", line))
    assert 0 < len(seen["whole"]) <= 3 * DIGEST_WINDOW
    assignments = sorted(seen["Nya ärenden till dig"] + seen["whole"])
    assert assignments == list(range(1, count + 1))  # each once, none left out
    assert sorted(seen.get("Påminnelser om svar", []) + seen["whole nudges"]) == list(range(5000, 5040))
    assert sum(m.text.count("Tillsynen av Facebook är inte gjord i dag.") for m in chat.to(PERSON)) == 1


def test_a_person_with_few_reminders_gets_the_ordinary_digest(settings):
    h = Harness(settings, MONDAY)
    h.bot.flush()
    chat = h.bot.chat = Throttled(h.clock, burst=1)
    emit(h, [assignment(n) for n in range(1, DIGEST_WINDOW + 1)])
    drain(h, 300)
    everything = "\n".join(m.text for m in chat.to(PERSON))
    assert all(assignment(n).text in everything for n in range(1, DIGEST_WINDOW + 1))
    assert not any("i kort form" in m.text for m in chat.to(PERSON))


def test_first_words_are_cut_at_a_word_on_one_line():
    assert first_words("Hej!\n  När öppnar\tåtervinningen?", 48) == "Hej! När öppnar återvinningen?"
    cut = first_words("När öppnar återvinningscentralen i Norrby efter jul och var kan jag lämna grovsopor?", 48)
    assert cut == "När öppnar återvinningscentralen i Norrby efter…" and len(cut) <= 48
    assert first_words("x" * 100, 10) == "x" * 9 + "…"


def test_a_bundle_survives_its_json_as_every_message_does():
    import dataclasses
    import json

    from bot.messages import BundleEntry

    m = Message(kind="bundle", to=CHANNEL, text="Rubrik\nÄrende 1 · Anna", account="instagram", card="bundle:7",
                entries=(BundleEntry(1, "Ärende 1 · Anna", (Action("take", "Jag tar den", "1"),
                                                           Action(SHOW_CARD, "Visa hela kortet", "1"))),))
    assert Message.from_json(m.to_json()) == m
    assert m.to_json() == json.dumps(dataclasses.asdict(m), ensure_ascii=False)
