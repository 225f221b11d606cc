"""Teams fixtures: the real aiohttp app (anonymous auth) and a mock connector, both on 127.0.0.1.

``teams(start)`` gives a `TeamsEnv`: a Harness bot (FakeClock, SQLite file) whose
chat port is the app's `TeamsChat`, the app served by ``web.AppRunner`` on a
free port, and a `MockConnector` whose URL is every activity's ``serviceUrl``.
Activities are built as Bot Framework JSON (`TeamsEnv.activity`) and POSTed to
``/api/messages`` with urllib, exactly as Teams would.

The example municipality's people are Teams users ``29:<name>`` with Entra
object ids ``aad-<name>``; the member API knows their e-mail. One team,
"Kommunikation" (its General channel is the communicator channel), has a
channel for every account plus "Krisgruppen".
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.adapters.teams.app import CHAT_KEY, anonymous_auth
from bot.server import build_server
from bot.adapters.teams.chat import TeamsChat
from bot.settings import Settings
from tests.conftest import Harness
from tests.teams.mock_connector import LoopThread, MockConnector

TENANT = "tenant-ekby"
BOT = {"id": "28:uppsikt-bot", "name": "Uppsikt"}
TEAM_ID = "19:team-kommunikation@thread.tacv2"
TEAM_NAME = "Kommunikation"
STRANGER = "29:stranger"


def local_part(email: str) -> str:
    return email.split("@")[0].split(":")[-1]


def user_id(email: str) -> str:
    return f"29:{local_part(email)}"


def aad_id(email: str) -> str:
    return f"aad-{local_part(email)}"


def channel_id(name: str) -> str:
    return f"19:{name.lower().replace(' ', '-')}@thread.tacv2"


def example_channels(settings: Settings) -> dict[str, str]:
    """Channel display names (as a person would type them in Teams) -> ids; the General channel is the team."""
    names = sorted({a.channel for a in settings.accounts.values()})
    shown = {name: name.replace("-", " ").title() for name in names}  # "konto-facebook" -> "Konto Facebook"
    channels = {shown[n]: channel_id(n) for n in names}
    channels["Krisgruppen"] = channel_id(settings.municipality.crisis_channel)
    return channels


def example_members(settings: Settings) -> dict[str, dict]:
    members = {user_id(p.email): {"id": user_id(p.email), "aadObjectId": aad_id(p.email), "name": p.name,
                                  "email": p.email, "userPrincipalName": p.email, "tenantId": TENANT}
               for p in settings.people.values()}
    members[STRANGER] = {"id": STRANGER, "aadObjectId": "aad-stranger", "name": "Okänd Person",
                         "email": "okand@example.se", "userPrincipalName": "okand@example.se"}
    return members


class TeamsEnv:
    def __init__(self, settings: Settings, start: dt.datetime, folder: Path, loop: LoopThread,
                 connector: MockConnector):
        self.settings = settings
        self.loop = loop
        self.connector = connector
        self.folder = folder
        self.h = Harness(settings, start, db=folder / "uppsikt.db")
        self.bot = self.h.bot
        self.app = build_server(self.bot, teams=anonymous_auth())
        self.chat: TeamsChat = self.app[CHAT_KEY]  # type: ignore[assignment]
        self._ids = itertools.count(1)
        self.url = loop.run(self._start())
        self.channels = example_channels(settings)

    async def _start(self) -> str:
        self.runner = web.AppRunner(self.app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return f"http://127.0.0.1:{port}"

    def close(self) -> None:
        self.loop.run(self.runner.cleanup())

    # ------------------------------------------------------------------ time
    def at(self, when: dt.datetime) -> None:
        """Let the scheduler run up to `when` (every due tick, like the real one), then flush what is left."""
        self.h.run_until(when)
        self.bot.flush()

    # ------------------------------------------------------------------ HTTP
    def post(self, activity: dict, headers: dict | None = None) -> tuple[int, Any]:
        data = json.dumps(activity, ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(self.url + "/api/messages", data=data, method="POST",
                                         headers={"Content-Type": "application/json", **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            return exc.code, json.loads(raw) if raw else None

    def get(self, path: str) -> tuple[int, str]:
        with urllib.request.urlopen(self.url + path, timeout=10) as response:
            return response.status, response.read().decode()

    # ------------------------------------------------------------------ activities
    def next_id(self) -> str:
        return str(next(self._ids))

    def sender(self, who: str) -> dict:
        if who == STRANGER:
            return {"id": STRANGER, "name": "Okänd Person", "aadObjectId": "aad-stranger"}
        person = self.settings.person(who)
        assert person is not None, who
        return {"id": user_id(who), "name": person.name, "aadObjectId": aad_id(who)}

    def conversation(self, who: str, channel: str | None, thread: str | None = None) -> tuple[dict, dict]:
        """(conversation, channelData) for a 1:1 chat with `who` or a channel (display name) thread."""
        if channel is None:
            return ({"conversationType": "personal", "tenantId": TENANT, "id": f"a:personal-{local_part(who)}"},
                    {"tenant": {"id": TENANT}})
        cid = self.channels[channel] if channel in self.channels else channel_id(channel)
        return ({"isGroup": True, "conversationType": "channel", "tenantId": TENANT,
                 "id": f"{cid};messageid={thread}" if thread else cid},
                {"teamsChannelId": cid, "teamsTeamId": TEAM_ID, "channel": {"id": cid}, "team": {"id": TEAM_ID},
                 "tenant": {"id": TENANT}})

    def activity(self, kind: str, who: str, *, channel: str | None = None, thread: str | None = None,
                 **fields: Any) -> dict:
        activity_id = fields.pop("id", None) or self.next_id()
        conversation, data = self.conversation(who, channel, thread or (activity_id if channel else None))
        return {"type": kind, "id": activity_id, "timestamp": "2026-12-07T08:00:00.000Z", "channelId": "msteams",
                "serviceUrl": self.connector.base_url, "from": self.sender(who), "conversation": conversation,
                "recipient": dict(BOT), "locale": "sv-SE", "channelData": data, **fields}

    def message(self, who: str, text: str, *, channel: str | None = None, mention: bool = True,
                thread: str | None = None) -> tuple[int, Any]:
        """`who` writes `text` to the bot: 1:1, or in a channel (with @Uppsikt unless mention=False)."""
        fields: dict[str, Any] = {"text": text, "textFormat": "plain"}
        if channel is not None and mention:
            tag = f"<at>{BOT['name']}</at>"
            fields["text"] = f"{tag} {text}"
            fields["entities"] = [{"type": "mention", "text": tag, "mentioned": dict(BOT)}]
        return self.post(self.activity("message", who, channel=channel, thread=thread, **fields))

    def invoke(self, who: str, data: dict, *, card_id: str, channel: str | None = None) -> tuple[int, Any]:
        """`who` presses an Action.Execute button (data as the card defines it, plus any inputs)."""
        value = {"action": {"type": "Action.Execute", "verb": data["uppsikt"], "data": data}, "trigger": "manual"}
        return self.post(self.activity("invoke", who, channel=channel, thread=card_id if channel else None,
                                       name="adaptiveCard/action", replyToId=card_id, value=value))

    def press(self, who: str, call_or_id, name: str, value: str, *, channel: str | None = None,
              **inputs: str) -> tuple[int, Any]:
        card_id = call_or_id if isinstance(call_or_id, str) else call_or_id.result_id
        return self.invoke(who, {"uppsikt": name, "value": value, **inputs}, card_id=card_id, channel=channel)

    def react(self, who: str, card_id: str, reaction: str, *, channel: str | None = None) -> tuple[int, Any]:
        return self.post(self.activity("messageReaction", who, channel=channel, thread=card_id,
                                       reactionsAdded=[{"type": reaction}], replyToId=card_id))

    def install(self, who: str = "lena@example.se") -> tuple[int, Any]:
        """The app is added to the team "Kommunikation" (Teams sends conversationUpdate to its General channel)."""
        activity = self.activity("conversationUpdate", who, membersAdded=[dict(BOT)])
        activity["conversation"] = {"isGroup": True, "conversationType": "channel", "tenantId": TENANT, "id": TEAM_ID}
        activity["channelData"] = {"team": {"id": TEAM_ID, "name": TEAM_NAME}, "eventType": "teamMemberAdded",
                                   "tenant": {"id": TENANT}}
        return self.post(activity)

    def say_hi(self, who: str) -> tuple[int, Any]:
        """`who` writes to the bot 1:1 for the first time (stores their chat's reference)."""
        return self.message(who, "hjälp")

    # ------------------------------------------------------------------ reading
    def conv(self, channel: str) -> str:
        """The conversation id of a channel by account channel name ("konto-facebook") or display name."""
        return self.channels.get(channel) or channel_id(channel)

    def personal(self, who: str) -> str:
        return f"a:personal-{local_part(who)}"

    def card_of(self, item_id: int) -> tuple[str, str]:
        row = self.bot.db.execute("SELECT channel, ts FROM chat_messages WHERE platform = 'teams' AND card = ?",
                                  [f"item:{item_id}"]).fetchone()
        assert row, f"no card for item {item_id}"
        return str(row[0]), str(row[1])

    def outbox(self) -> dict[str, int]:
        return dict(self.bot.db.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status").fetchall())


@pytest.fixture
def connector(settings: Settings) -> Iterator[tuple[LoopThread, MockConnector]]:
    loop = LoopThread()
    mock = MockConnector(members=example_members(settings))
    loop.run(mock.start())
    channels = example_channels(settings)
    mock.teams[TEAM_ID] = [{"id": TEAM_ID}] + [{"id": cid, "name": name} for name, cid in channels.items()]
    yield loop, mock
    loop.run(mock.stop())
    loop.stop()


@pytest.fixture
def teams(settings: Settings, tmp_path: Path, connector) -> Iterator:
    loop, mock = connector
    made: list[TeamsEnv] = []

    def make(start: dt.datetime, *, install: bool = True, folder: Path | None = None,
             config: Settings | None = None) -> TeamsEnv:
        """A bot in Teams from `start`; `folder` reuses a database (a restart), `config` other settings."""
        env = TeamsEnv(config or settings, start, folder or tmp_path / f"bot{len(made)}", loop, mock)
        made.append(env)
        if install:
            status, _ = env.install()
            assert status in (200, 202), status
        return env

    yield make
    for env in made:
        env.close()
