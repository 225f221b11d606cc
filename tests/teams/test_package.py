"""`uppsikt teams-package`: the zip to upload to Teams, and the manifest agreeing with what the app understands."""

from __future__ import annotations

import json
import struct
import zipfile
import zlib

import pytest

from bot.adapters.teams import cli
from bot.adapters.teams.app import HOME_WORDS
from bot.core import commands
from bot.core.parsing import fold
from tests.conftest import REPO

BOT_ID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"


def pixels(png: bytes) -> list[tuple[int, int, int, int]]:
    """Decode an 8-bit RGBA PNG without filters other than None (what cli.png writes)."""
    width, height = struct.unpack(">II", png[16:24])
    pos, data = 8, b""
    while pos < len(png):
        length = struct.unpack(">I", png[pos:pos + 4])[0]
        kind = png[pos + 4:pos + 8]
        if kind == b"IHDR":
            assert png[pos + 16:pos + 18] == bytes([8, 6])  # 8 bits, RGBA
        if kind == b"IDAT":
            data += png[pos + 8:pos + 8 + length]
        pos += length + 12
    raw = zlib.decompress(data)
    stride = width * 4 + 1
    assert len(raw) == stride * height
    out = []
    for y in range(height):
        assert raw[y * stride] == 0
        row = raw[y * stride + 1:(y + 1) * stride]
        out += [tuple(row[i:i + 4]) for i in range(0, len(row), 4)]
    return out


def test_the_package_has_the_manifest_with_the_bot_id_and_both_icons(tmp_path):
    out = cli.build_package(tmp_path / "uppsikt-teams.zip", bot_id=BOT_ID, domain="uppsikt.ekby.se", env={})
    with zipfile.ZipFile(out) as zf:
        assert sorted(zf.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(zf.read("manifest.json"))
        color, outline = zf.read("color.png"), zf.read("outline.png")
    assert manifest["id"] == BOT_ID and manifest["bots"][0]["botId"] == BOT_ID
    assert manifest["webApplicationInfo"]["id"] == BOT_ID
    assert "${{" not in json.dumps(manifest)
    assert manifest["validDomains"] == ["uppsikt.ekby.se"]
    assert manifest["manifestVersion"] == "1.17"
    assert manifest["icons"] == {"color": "color.png", "outline": "outline.png"}
    assert cli.png_size(color) == (192, 192) and cli.png_size(outline) == (32, 32)


def test_the_bot_id_can_come_from_the_environment(tmp_path):
    out = cli.build_package(tmp_path / "p.zip", env={"MicrosoftAppId": BOT_ID})
    with zipfile.ZipFile(out) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    assert manifest["bots"][0]["botId"] == BOT_ID and manifest["validDomains"] == []


def test_a_missing_or_malformed_bot_id_is_explained_in_swedish(tmp_path):
    with pytest.raises(cli.PackageError, match="MicrosoftAppId"):
        cli.build_package(tmp_path / "p.zip", env={})
    with pytest.raises(cli.PackageError, match="inte ett app-id"):
        cli.build_package(tmp_path / "p.zip", bot_id="28:uppsikt", env={})
    assert not (tmp_path / "p.zip").exists()


def test_the_manifest_is_within_teams_limits_and_in_swedish():
    manifest = json.loads((REPO / "config" / "teams" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["$schema"].endswith("/v1.17/MicrosoftTeams.schema.json")
    assert len(manifest["name"]["short"]) <= 30 and len(manifest["name"]["full"]) <= 100
    assert len(manifest["description"]["short"]) <= 80 and len(manifest["description"]["full"]) <= 4000
    assert len(manifest["developer"]["name"]) <= 32
    assert all(manifest["developer"][k].startswith("https://") for k in ("websiteUrl", "privacyUrl", "termsOfUseUrl"))
    bot = manifest["bots"][0]
    assert set(bot["scopes"]) == {"personal", "team", "groupChat"}
    rsc = manifest["authorization"]["permissions"]["resourceSpecific"]
    assert {"name": "ChannelMessage.Read.Group", "type": "Application"} in rsc  # channel posts become items
    for command_list in bot["commandLists"]:
        assert len(command_list["commands"]) <= 10
        for command in command_list["commands"]:
            assert len(command["title"]) <= 32 and len(command["description"]) <= 128


def test_every_command_in_the_menu_is_one_the_bot_understands():
    manifest = json.loads((REPO / "config" / "teams" / "manifest.json").read_text(encoding="utf-8"))
    titles = [c["title"] for c in manifest["bots"][0]["commandLists"][0]["commands"]]
    assert titles[:4] == ["uppsikt klart", "uppsikt status", "kris på", "kris av"]
    for title in titles:
        first = fold(title.split()[0])
        assert first in commands.COMMANDS or first == "hjalp" or fold(title) in HOME_WORDS, title


def test_the_committed_icons_are_what_the_generator_draws(tmp_path):
    cli.write_icons(tmp_path)
    for name in ("color.png", "outline.png"):
        assert (tmp_path / name).read_bytes() == (REPO / "config" / "teams" / name).read_bytes(), name


def test_the_outline_icon_is_white_on_transparent_and_the_colour_icon_opaque():
    outline = pixels((REPO / "config" / "teams" / "outline.png").read_bytes())
    assert all(p[:3] == (255, 255, 255) for p in outline)
    alphas = {p[3] for p in outline}
    assert 0 in alphas and 255 in alphas  # transparent background, solid symbol
    color = pixels((REPO / "config" / "teams" / "color.png").read_bytes())
    assert all(p[3] == 255 for p in color) and color[0][:3] == (0x1F, 0x5C, 0x99)
