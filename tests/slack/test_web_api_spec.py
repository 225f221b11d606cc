"""Every Web API method the Slack adapter calls exists in Slack's OpenAPI spec and gets its required parameters.

The spec is ../shared/reference/slack_web_openapi_v2_without_examples.json
(slackapi/slack-api-specs, 2021). Two checks:

* static: scan bot/adapters/slack/**/*.py for ``client.<snake_name>(`` and
  ``.api_call("x.y"`` calls, map each name to its Web API method, confirm the
  mapping against slack_sdk's own WebClient source, and look it up in the spec;
* dynamic: play a week (plus a crisis) through SlackChat and the mock Web API
  and check every recorded call against the spec's required parameters (the
  token is a header, so it is not looked for among the parameters).
"""

from __future__ import annotations

import inspect
import json
import re
from functools import cache

import pytest
from slack_sdk import WebClient

from bot.adapters.slack.chat import SlackChat
from tests.conftest import REPO, Harness, local
from tests.slack.conftest import play
from tests.slack.mock_web_api import MockSlackWebAPI

SPEC = REPO.parent / "shared" / "reference" / "slack_web_openapi_v2_without_examples.json"
ADAPTER = REPO / "bot" / "adapters" / "slack"
CLIENT_CALL_RE = re.compile(r"\b\w*client\.([a-z]+_[A-Za-z_]+)\s*\(")
API_CALL_RE = re.compile(r"\.api_call\(\s*[\"']([a-z]+(?:\.[A-Za-z]+)+)[\"']")
SAY_RE = re.compile(r"\bsay\(")
SDK_API_CALL_RE = re.compile(r"api_call\(\s*\"([a-z]+(?:\.[A-Za-z]+)+)\"")


@cache
def spec() -> dict:
    if not SPEC.exists():
        pytest.fail(f"Slack's Web API spec is missing: expected {SPEC}. Check out the shared reference material "
                    "beside the repository (CI has ../shared/reference/).")
    return json.loads(SPEC.read_text(encoding="utf-8"))


def operation(method: str) -> dict | None:
    path = spec()["paths"].get(f"/{method}")
    if not path:
        return None
    return next(iter(path.values()))


def required_params(method: str) -> set[str]:
    op = operation(method) or {}
    return {p["name"] for p in op.get("parameters", []) if p.get("required") and p["name"] != "token"}


def snake_to_method(name: str) -> str:
    """chat_postMessage -> chat.postMessage: the first underscore becomes a dot."""
    family, _, rest = name.partition("_")
    return f"{family}.{rest}"


def sdk_method(name: str) -> str | None:
    """The Web API method slack_sdk's WebClient.<name> really calls (None if it is no Web API method)."""
    attr = getattr(WebClient, name, None)
    if attr is None or not callable(attr):
        return None
    found = SDK_API_CALL_RE.findall(inspect.getsource(attr))
    return found[0] if len(found) == 1 else None


def methods_in_source() -> dict[str, set[str]]:
    """Web API method -> the files under bot/adapters/slack that call it."""
    found: dict[str, set[str]] = {}
    for path in sorted(ADAPTER.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        names = {snake_to_method(n) for n in CLIENT_CALL_RE.findall(source) if sdk_method(n) is not None}
        names |= set(API_CALL_RE.findall(source))
        if SAY_RE.search(source):  # Bolt's say() is chat.postMessage; respond() uses the response_url, no Web API
            names.add("chat.postMessage")
        for name in names:
            found.setdefault(name, set()).add(str(path.relative_to(REPO)))
    return found


def test_the_spec_is_the_expected_snapshot():
    assert spec()["swagger"] == "2.0" and len(spec()["paths"]) >= 170
    assert operation("chat.postMessage") is not None


def test_snake_case_names_map_to_the_methods_slack_sdk_calls():
    for path in sorted(ADAPTER.rglob("*.py")):
        for name in CLIENT_CALL_RE.findall(path.read_text(encoding="utf-8")):
            real = sdk_method(name)
            if real is not None:
                assert snake_to_method(name) == real, f"{path}: {name} calls {real}"


def test_slack_chat_names_each_request_by_the_method_it_calls():
    """SlackChat._call("x.y", lambda: self.client.x_y(...)): the name drives rate limits and logs, so it must match."""
    source = (ADAPTER / "chat.py").read_text(encoding="utf-8")
    pairs = re.findall(r"_call\(\s*\"([\w.]+)\",\s*lambda:\s*self\.client\.(\w+)\(", source)
    assert len(pairs) >= 6
    assert [(m, sdk_method(n)) for m, n in pairs] == [(m, m) for m, _ in pairs]


def test_every_method_called_in_the_slack_adapter_exists_in_the_spec():
    found = methods_in_source()
    assert {"chat.postMessage", "chat.update", "users.lookupByEmail", "conversations.open",
            "conversations.list"} <= set(found)
    missing = {m: sorted(files) for m, files in found.items() if operation(m) is None}
    assert not missing, f"not in Slack's Web API spec: {missing}"


def test_the_mock_only_speaks_methods_from_the_spec():
    api = MockSlackWebAPI()
    assert [m for m in api.handlers if operation(m) is None] == []


def test_a_week_in_slack_sends_every_required_parameter(settings, slack_api: MockSlackWebAPI, slack_client):
    h = Harness(settings, local(2026, 12, 7, 7, 0))
    h.bot.chat = SlackChat.for_bot(slack_client, h.bot)
    play(h, REPO / "config" / "scenarios" / "ordinary-week.toml")
    h.bot.intake("facebook", "Det brinner vid Norrby, svart rök! Ska vi stänga fönstren?", author="Granne")
    h.bot.command("karin@example.se", "/kris på Brand i Norrby")
    h.run_until(local(2026, 12, 11, 20, 0))
    h.bot.command("karin@example.se", "/kris av")
    h.run_until(local(2026, 12, 11, 21, 0))

    called = {c.method for c in slack_api.calls}
    assert {"chat.postMessage", "chat.update", "users.lookupByEmail", "conversations.open",
            "conversations.list"} <= called
    assert called <= set(methods_in_source()), "a call the static scan cannot see"
    for call in slack_api.calls:
        assert operation(call.method) is not None, call.method
        missing = required_params(call.method) - set(call.params)
        assert not missing, f"{call.method} without {sorted(missing)}: {call.params}"
        assert call.headers.get("Authorization", "").startswith("Bearer xoxb-")
    posts = slack_api.calls_to("chat.postMessage")
    assert all(p.params.get("text") and p.params.get("blocks") for p in posts)
