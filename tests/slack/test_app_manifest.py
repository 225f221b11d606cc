"""config/slack-manifest.yml and the registered listeners agree (ids.py is the single source).

PyYAML is not a dependency, so the manifest's simple YAML subset (mappings,
lists, plain and double-quoted scalars, full-line comments) is parsed here.
"""

from __future__ import annotations

import re
from collections import defaultdict

from bot.adapters.slack.ids import BOT_SCOPES, EVENTS, SHORTCUTS, ActionId, CallbackId, Command, UiId
from bot.adapters.slack.listeners import actions, commands, events, views
from tests.conftest import REPO

MANIFEST = REPO / "config" / "slack-manifest.yml"
KEY_RE = re.compile(r"^([A-Za-z_][\w.]*):(?:\s+(.*))?$")


def _scalar(text: str) -> object:
    text = text.strip()
    if text.startswith('"') and text.endswith('"'):
        return text[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    if text in ("true", "false"):
        return text == "true"
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    return text


def parse_yaml(text: str) -> object:
    lines = [(len(raw) - len(raw.lstrip(" ")), raw.strip()) for raw in text.splitlines()
             if raw.strip() and not raw.strip().startswith("#")]

    def block(i: int, indent: int) -> tuple[object, int]:
        return (seq if lines[i][1].startswith("- ") else mapping)(i, indent)

    def mapping(i: int, indent: int) -> tuple[dict, int]:
        out: dict = {}
        while i < len(lines) and lines[i][0] == indent and not lines[i][1].startswith("- "):
            m = KEY_RE.match(lines[i][1])
            assert m, f"not a key: {lines[i][1]!r}"
            key, rest = m.group(1), m.group(2)
            i += 1
            if rest:
                out[key] = _scalar(rest)
            elif i < len(lines) and lines[i][0] > indent:
                out[key], i = block(i, lines[i][0])
            elif i < len(lines) and lines[i][0] == indent and lines[i][1].startswith("- "):
                out[key], i = seq(i, indent)  # a list at the key's own indentation
            else:
                out[key] = None
        return out, i

    def seq(i: int, indent: int) -> tuple[list, int]:
        out: list = []
        while i < len(lines) and lines[i][0] == indent and lines[i][1].startswith("- "):
            item = lines[i][1][2:]
            if KEY_RE.match(item):
                lines[i] = (indent + 2, item)
                value, i = mapping(i, indent + 2)
            else:
                value, i = _scalar(item), i + 1
            out.append(value)
        return out, i

    value, end = block(0, lines[0][0])
    assert end == len(lines), f"unparsed from line {lines[end]!r}"
    return value


class RecordingApp:
    """Stands in for a Bolt App: records what each listener module registers."""

    def __init__(self, client=None):
        self.client = client
        self.registered: dict[str, list[str]] = defaultdict(list)

    def _record(self, kind: str, name: object):
        self.registered[kind].append(str(name))
        return lambda func: func

    def command(self, name, **_):
        return self._record("command", name)

    def event(self, name, **_):
        return self._record("event", name)

    def action(self, name, **_):
        return self._record("action", name)

    def view(self, name, **_):
        return self._record("view", name)

    def shortcut(self, name, **_):
        return self._record("shortcut", name)


def registered(harness) -> dict[str, list[str]]:
    from slack_sdk import WebClient

    app = RecordingApp(WebClient(token="xoxb-never-called"))
    for module in (commands, events, actions, views):
        module.register(app, harness.bot)
    return app.registered


def test_the_manifest_parses():
    manifest = parse_yaml(MANIFEST.read_text(encoding="utf-8"))
    assert manifest["display_information"]["name"] == "Uppsikt"
    assert manifest["features"]["slash_commands"][0]["command"] == "/uppsikt"


def test_manifest_and_registered_listeners_agree(harness):
    from tests.conftest import local

    manifest = parse_yaml(MANIFEST.read_text(encoding="utf-8"))
    reg = registered(harness(local(2026, 12, 7, 9)))
    commands_in_manifest = [c["command"] for c in manifest["features"]["slash_commands"]]
    assert sorted(commands_in_manifest) == sorted(reg["command"]) == sorted(c.value for c in Command)
    shortcuts = manifest["features"]["shortcuts"]
    assert [s["callback_id"] for s in shortcuts] == reg["shortcut"] == [str(s) for s in SHORTCUTS]
    assert shortcuts[0]["name"] == "Följ upp som ärende" and shortcuts[0]["type"] == "message"
    bot_events = manifest["settings"]["event_subscriptions"]["bot_events"]
    assert sorted(bot_events) == sorted(EVENTS)
    assert {e.split(".")[0] for e in bot_events} == set(reg["event"])  # message.channels/groups arrive as `message`
    assert sorted(manifest["oauth_config"]["scopes"]["bot"]) == sorted(BOT_SCOPES)
    assert set(reg["action"]) == {str(a) for a in ActionId} | {str(u) for u in UiId}
    assert set(reg["view"]) == {str(c) for c in CallbackId} - {str(s) for s in SHORTCUTS}


def test_manifest_settings_a_communicator_needs():
    manifest = parse_yaml(MANIFEST.read_text(encoding="utf-8"))
    info, features, settings = manifest["display_information"], manifest["features"], manifest["settings"]
    assert len(info["description"]) <= 140 and 175 <= len(info["long_description"]) <= 4000
    assert features["app_home"]["home_tab_enabled"] is True and features["app_home"]["messages_tab_enabled"] is True
    assert features["bot_user"]["display_name"] == "Uppsikt"
    assert settings["socket_mode_enabled"] is True and settings["interactivity"]["is_enabled"] is True
    for command in features["slash_commands"]:
        assert re.fullmatch(r"/[a-z0-9_-]{1,31}", command["command"]), command["command"]  # ASCII, as Slack wants
        assert command["description"] and command["usage_hint"] and command["should_escape"] is False
    # HTTP mode is documented in place, with the one request URL the app serves
    text = MANIFEST.read_text(encoding="utf-8")
    assert text.count("# url: https://DIN-SERVER/slack/events") == len(features["slash_commands"])
    assert text.count("# request_url: https://DIN-SERVER/slack/events") == 2
