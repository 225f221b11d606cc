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


# Web API methods Slack added after the 2021 snapshot above, with their required arguments from Slack's
# method reference (docs.slack.dev/reference/methods/files.getUploadURLExternal and
# .../files.completeUploadExternal): the file upload flow that replaced files.upload (retired for new apps in
# 2024, for all apps in November 2025). `test_newer_methods_are_really_missing_from_the_snapshot` keeps this
# list honest: a method the snapshot has cannot hide here.
NEWER_THAN_SPEC: dict[str, set[str]] = {
    "files.getUploadURLExternal": {"filename", "length"},
    "files.completeUploadExternal": {"files"},
}


def operation(method: str) -> dict | None:
    path = spec()["paths"].get(f"/{method}")
    if not path:
        if method in NEWER_THAN_SPEC:
            return {"parameters": [{"name": n, "required": True} for n in sorted(NEWER_THAN_SPEC[method])]}
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


def test_newer_methods_are_really_missing_from_the_snapshot_and_are_what_slack_sdk_calls():
    for method in NEWER_THAN_SPEC:
        assert f"/{method}" not in spec()["paths"], f"{method} is in the spec now: drop it from NEWER_THAN_SPEC"
        name = method.replace(".", "_", 1)
        assert sdk_method(name) == method
        # slack_sdk's own signature makes the same arguments keyword-only and required.
        params = inspect.signature(getattr(WebClient, name)).parameters
        assert {p for p, v in params.items() if v.default is inspect.Parameter.empty
                and v.kind is inspect.Parameter.KEYWORD_ONLY} == NEWER_THAN_SPEC[method]


def test_the_retired_files_upload_is_not_used():
    assert "files.upload" not in methods_in_source()
    assert not re.search(r"files_upload(_v2)?\(", "".join(p.read_text(encoding="utf-8") for p in ADAPTER.rglob("*.py")))


def test_the_monthly_post_uses_the_upload_flow_with_every_required_parameter(settings, slack_api: MockSlackWebAPI,
                                                                           slack_client):
    from tests.report_world import november_world
    from tests.slack.conftest import example_channels

    h = Harness(settings, local(2026, 11, 3, 7, 0))
    november_world(h)
    h.bot.chat = SlackChat.for_bot(slack_client, h.bot)
    h.run_until(local(2026, 12, 1, 10, 5))  # the first business day of December: November's report
    calls = [c.method for c in slack_api.calls if c.method.startswith("files.") or c.method == "upload"]
    assert calls == ["files.getUploadURLExternal", "upload", "files.getUploadURLExternal", "upload",
                     "files.completeUploadExternal"]
    for call in slack_api.calls:
        if call.method == "upload":
            assert "Authorization" not in call.headers and call.verb == "POST"  # the upload URL takes no token
            continue
        assert operation(call.method) is not None, call.method
        missing = required_params(call.method) - set(call.params)
        assert not missing, f"{call.method} without {sorted(missing)}: {call.params}"
    get_url = slack_api.calls_to("files.getUploadURLExternal")
    assert get_url[0].params["filename"] == "uppsikt-2026-11-sammanfattning.png"
    assert "Ekby kommun (Facebook)" in get_url[0].params["alt_txt"]
    channel = example_channels(settings)["kommunikation"]
    complete = slack_api.calls_to("files.completeUploadExternal")[0].params
    assert complete["channel_id"] == channel
    shared = slack_api.shared(channel)
    assert [f["filename"] for f in shared] == ["uppsikt-2026-11-sammanfattning.png", "uppsikt-rapport-2026-11.html"]
    assert shared[0]["data"].startswith(b"\x89PNG") and int(get_url[0].params["length"]) == len(shared[0]["data"])
    assert b'<html lang="sv"' in shared[1]["data"]
    assert "Bevakade vaktdagar: 49 av 80 (61 %)" in shared[0]["comment"]
    assert h.bot.db.execute("SELECT COUNT(*) FROM outbox WHERE kind = 'monthly_report' AND status = 'sent'"
                            ).fetchone()[0] == 1
