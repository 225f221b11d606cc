"""The Slack manifest (Socket Mode as shipped, and the HTTP variant docs/slack.md describes) and the manifest
inside the package `uppsikt teams-package` builds, validated against the platforms' own JSON schemas.

The schemas live in shared/reference beside the repository (CI places a copy of shared/ next to the
clone; a developer's worktree may sit one level deeper). A missing copy is a failure, not a skip: these
tests are what keeps Slack and Teams from rejecting the manifests.
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import jsonschema
import pytest
import yaml

from bot.cli import main
from tests.conftest import REPO

BOT_ID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
SLACK_SCHEMA = "slack-manifest.schema.1.0.0.json"
TEAMS_SCHEMA = "teams-manifest.schema.v1.17.json"
MANIFEST = REPO / "config" / "slack-manifest.yml"
SERVER = "uppsikt.ekby.se"


def reference(name: str) -> dict:
    candidates = [REPO.parent / "shared" / "reference" / name, REPO.parent.parent / "shared" / "reference" / name]
    found = next((c for c in candidates if c.is_file()), None)
    if found is None:
        pytest.fail(f"{name} not found; looked in {', '.join(str(c) for c in candidates)}. CI places a copy of "
                    "shared/ beside the clone; put one there (it holds the platforms' manifest schemas).")
    return json.loads(found.read_text(encoding="utf-8"))


def errors(schema: dict, instance: object) -> list[str]:
    validator = jsonschema.validators.validator_for(schema)(schema)
    return [f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}"
            for e in sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path)))]


def http_variant(text: str, server: str = SERVER) -> str:
    """docs/slack.md, HTTP mode step 1: socket_mode_enabled false, the commented request URLs switched on
    with the server's name in place of DIN-SERVER."""
    text = re.sub(r"(?m)^(\s*)# (url|request_url): https://DIN-SERVER/", rf"\1\2: https://{server}/", text)
    text, n = re.subn(r"(?m)^(\s*)socket_mode_enabled: true$", r"\1socket_mode_enabled: false", text)
    assert n == 1
    return text


def test_the_guide_describes_the_http_variant_this_test_builds():
    guide = (REPO / "docs" / "slack.md").read_text(encoding="utf-8")
    assert "`socket_mode_enabled: false`" in guide and "`https://DIN-SERVER/slack/events`" in guide


def test_the_slack_manifest_socket_mode_is_valid():
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    assert errors(reference(SLACK_SCHEMA), manifest) == []
    assert manifest["settings"]["socket_mode_enabled"] is True


def test_the_slack_manifest_http_mode_is_valid():
    manifest = yaml.safe_load(http_variant(MANIFEST.read_text(encoding="utf-8")))
    assert errors(reference(SLACK_SCHEMA), manifest) == []
    url = f"https://{SERVER}/slack/events"
    settings = manifest["settings"]
    assert settings["socket_mode_enabled"] is False
    assert settings["event_subscriptions"]["request_url"] == url and settings["interactivity"]["request_url"] == url
    assert {c["url"] for c in manifest["features"]["slash_commands"]} == {url}


def test_the_schema_catches_what_slack_rejects():
    """The check can fail: the shortcut name this manifest had (27 characters, Slack's limit is 24)."""
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    manifest["features"]["shortcuts"][0]["name"] = "Följ upp som medborgarfråga"
    found = errors(reference(SLACK_SCHEMA), manifest)
    assert any(e.startswith("features/shortcuts/0/name") for e in found), found


def test_the_shortcut_name_is_short_swedish_and_in_the_guide():
    name = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))["features"]["shortcuts"][0]["name"]
    assert name == "Följ upp som ärende" and len(name) <= 24
    assert f"**{name}**" in (REPO / "docs" / "slack.md").read_text(encoding="utf-8")


def _package(tmp_path: Path, *extra: str) -> dict:
    out = tmp_path / "uppsikt-teams.zip"
    assert main(["teams-package", "--bot-id", BOT_ID, "--domain", SERVER, "--out", str(out), *extra]) == 0
    with zipfile.ZipFile(out) as zf:
        return json.loads(zf.read("manifest.json"))


def test_the_teams_package_manifest_is_valid(tmp_path):
    manifest = _package(tmp_path, "--developer", "Ekby kommun", "--website", "https://www.ekby.se",
                        "--privacy", "https://www.ekby.se/personuppgifter", "--terms", "https://www.ekby.se/uppsikt")
    assert errors(reference(TEAMS_SCHEMA), manifest) == []
    assert manifest["developer"]["name"] == "Ekby kommun" and manifest["validDomains"] == [SERVER]


def test_the_teams_package_with_the_placeholders_is_valid_too(tmp_path):
    assert errors(reference(TEAMS_SCHEMA), _package(tmp_path)) == []


def test_the_teams_schema_catches_a_broken_manifest(tmp_path):
    manifest = _package(tmp_path)
    manifest["name"]["short"] = "U" * 31  # Teams' limit is 30
    del manifest["developer"]["privacyUrl"]
    found = errors(reference(TEAMS_SCHEMA), manifest)
    assert any(e.startswith("name/short") for e in found) and any(e.startswith("developer") for e in found), found
