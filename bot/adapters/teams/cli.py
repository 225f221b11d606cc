"""Building the Teams app package (running Uppsikt in Teams is bot/server.py's `run_teams`).

Wired into ``bot/cli.py``:

* ``uppsikt teams-package [--out uppsikt-teams.zip] [--bot-id ID] [--domain D] [--version V]`` ->
  `build_package(out_path, bot_id=, domain=, version=)`: ``config/teams/manifest.json``
  with the ids filled in, plus the two icons, zipped for upload.

``python -m bot.adapters.teams.cli icons`` redraws ``config/teams/color.png``
(192×192) and ``outline.png`` (32×32, white on transparent) with `write_icons`:
plain zlib + struct, no image library.
"""

from __future__ import annotations

import json
import os
import re
import struct
import sys
import zipfile
import zlib
from collections.abc import Callable, Mapping
from pathlib import Path


from bot.facade import TEAMS_DIR
from bot.i18n import t

TEAMS_CONFIG = TEAMS_DIR  # shipped inside the package (bot/paths.py)
GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
BOT_ID_ENV = ("MicrosoftAppId", "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTID")
DOMAIN_ENV = "UPPSIKT_TEAMS_DOMAIN"
ICON_SIZES = {"color.png": (192, 192), "outline.png": (32, 32)}


class PackageError(Exception):
    """The package cannot be built; the message says why (in Swedish)."""


# --------------------------------------------------------------------------- the package


def bot_id_from(env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    return next((env[name].strip() for name in BOT_ID_ENV if env.get(name, "").strip()), "")


def manifest(bot_id: str, *, app_id: str | None = None, domain: str | None = None, version: str | None = None,
             source: Path | None = None, lang: str = "sv") -> dict:
    """config/teams/manifest.json with the placeholders filled in."""
    if not bot_id:
        raise PackageError(t("teams.package.no_bot_id", lang))
    for value in (bot_id, app_id or bot_id):
        if not GUID_RE.match(value):
            raise PackageError(t("teams.package.bad_bot_id", lang, value=value))
    source = source or TEAMS_CONFIG / "manifest.json"
    if not source.is_file():
        raise PackageError(t("teams.package.missing_file", lang, path=source))
    text = source.read_text(encoding="utf-8")
    text = text.replace("${{BOT_ID}}", bot_id).replace("${{TEAMS_APP_ID}}", app_id or bot_id)
    data = json.loads(text)
    domains = [d for d in data.get("validDomains", []) if d != "${{BOT_DOMAIN}}"]
    if domain:
        domains.append(domain.removeprefix("https://").split("/")[0])
    data["validDomains"] = domains
    if version:
        data["version"] = version
    return data


def build_package(out_path: str | Path, *, bot_id: str | None = None, app_id: str | None = None,
                  domain: str | None = None, version: str | None = None, config_dir: Path | None = None,
                  env: Mapping[str, str] | None = None, lang: str = "sv") -> Path:
    """Zip the Teams app package (manifest.json, color.png, outline.png) to `out_path`.

    The bot id comes from `bot_id`, else the MicrosoftAppId environment variable
    (or the SDK's ``CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTID``); the
    domain for validDomains from `domain` or ``UPPSIKT_TEAMS_DOMAIN``.
    """
    env = os.environ if env is None else env
    folder = config_dir or TEAMS_CONFIG
    data = manifest(bot_id or bot_id_from(env), app_id=app_id, domain=domain or env.get(DOMAIN_ENV) or None,
                    version=version, source=folder / "manifest.json", lang=lang)
    icons = {}
    for name, size in ICON_SIZES.items():
        path = folder / name
        if not path.is_file():
            raise PackageError(t("teams.package.missing_file", lang, path=path))
        payload = path.read_bytes()
        if png_size(payload) != size:
            raise PackageError(t("teams.package.missing_file", lang, path=f"{path} ({size[0]}×{size[1]})"))
        icons[name] = payload
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", json.dumps(data, ensure_ascii=False, indent=2))
        for name, payload in icons.items():
            zf.writestr(name, payload)
    return out


# --------------------------------------------------------------------------- icons (zlib + struct)


def png(width: int, height: int, pixel: Callable[[int, int], tuple[int, int, int, int]]) -> bytes:
    """An RGBA PNG drawn by `pixel(x, y) -> (r, g, b, a)`."""
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter: none
        for x in range(width):
            rows.extend(pixel(x, y))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(rows), 9))
            + chunk(b"IEND", b""))


def png_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG, or None when `data` is not one."""
    if len(data) < 24 or data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", data[16:24])


def _eye(u: float, v: float) -> bool:
    """The Uppsikt symbol, an open eye, in coordinates -1..1: an almond outline and a round pupil."""
    outer = abs(v) <= 0.62 * (1 - u * u) and abs(u) <= 1
    inner = abs(v) <= 0.62 * (1 - (u / 0.8) ** 2) - 0.14 and abs(u) <= 0.8
    pupil = u * u + v * v <= 0.3 ** 2
    return (outer and not inner) or pupil


def _coverage(x: int, y: int, size: int, scale: float, samples: int = 4) -> float:
    """How much of pixel (x, y) the symbol covers (supersampled), the symbol filling `scale` of the icon."""
    hits = 0
    for i in range(samples):
        for j in range(samples):
            u = ((x + (i + 0.5) / samples) / size * 2 - 1) / scale
            v = ((y + (j + 0.5) / samples) / size * 2 - 1) / scale
            hits += _eye(u, v)
    return hits / (samples * samples)


def color_icon(size: int = 192) -> bytes:
    """White eye on the accent colour (#1F5C99), symbol in the middle ~70 %."""
    background = (0x1F, 0x5C, 0x99)

    def pixel(x: int, y: int) -> tuple[int, int, int, int]:
        c = _coverage(x, y, size, 0.7)
        return (*(round(b + (255 - b) * c) for b in background), 255)

    return png(size, size, pixel)


def outline_icon(size: int = 32) -> bytes:
    """White eye on a transparent background (Teams' outline icon)."""

    def pixel(x: int, y: int) -> tuple[int, int, int, int]:
        return (255, 255, 255, round(255 * _coverage(x, y, size, 0.94)))

    return png(size, size, pixel)


def write_icons(folder: Path = TEAMS_CONFIG) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, payload in (("color.png", color_icon()), ("outline.png", outline_icon())):
        (folder / name).write_bytes(payload)
        written.append(folder / name)
    return written


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["icons"]:
        for path in write_icons(Path(argv[1]) if len(argv) > 1 else TEAMS_CONFIG):
            print(path)
        return 0
    print("usage: python -m bot.adapters.teams.cli icons [folder]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = ["PackageError", "build_package", "manifest", "png_size", "write_icons"]
