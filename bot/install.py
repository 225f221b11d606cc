"""What an operator does to install Uppsikt: `uppsikt init` (a starting config and a .env template) and
the publisher details of the Teams app package (the example's placeholders must not reach Teams).

Messages come from the locale catalogue (bot/locales/*-packaging.toml).
"""

from __future__ import annotations

import json
import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from bot import paths
from bot.i18n import t

NAME_LINE_RE = re.compile(r'^name = "[^"\n]*"', re.MULTILINE)  # the first one is [municipality] name
MAX_NAME = 100
# The example's publisher details in config/teams/manifest.json; Teams shows them to everyone who installs.
PLACEHOLDER = "DIN-KOMMUN"
PLACEHOLDER_NAME = "DIN KOMMUN"
DEVELOPER_FIELDS = ("name", "websiteUrl", "privacyUrl", "termsOfUseUrl")
DEVELOPER_LIMITS = {"name": 32, "websiteUrl": 2048, "privacyUrl": 2048, "termsOfUseUrl": 2048}
FIELD_KEYS = {"name": "developer_name", "websiteUrl": "website_url", "privacyUrl": "privacy_url",
              "termsOfUseUrl": "terms_url"}
HTTPS_RE = re.compile(r"^https://[^\s/]+\.[^\s/]+(/\S*)?$")


class InstallError(Exception):
    """Nothing was written; the message says why and what to do (from the catalogue)."""


# --------------------------------------------------------------------------- uppsikt init


@dataclass(frozen=True)
class Written:
    config: Path
    env: Path
    data: Path


def check_name(name: str, lang: str = "sv") -> str:
    name = name.strip()
    if not name:
        raise InstallError(t("init.name_needed", lang))
    if len(name) > MAX_NAME or any(c in name for c in "\r\n\t") or not name.isprintable():
        raise InstallError(t("init.bad_name", lang, value=json.dumps(name, ensure_ascii=False)))
    return name


def starting_config(name: str, example: Path = paths.EXAMPLE_CONFIG) -> str:
    """The shipped example with the municipality's name in place of the example's."""
    text = example.read_text(encoding="utf-8")
    replaced, count = NAME_LINE_RE.subn(f"name = {json.dumps(name, ensure_ascii=False)}", text, count=1)
    if count != 1:  # the example lost its [municipality] name line: a packaging bug, not the user's
        raise RuntimeError(f"{example} has no [municipality] name line")
    return replaced


def init(folder: Path, name: str, *, force: bool = False, data: Path | None = None, lang: str = "sv") -> Written:
    """Write `folder`/uppsikt.toml (a copy of the example named for the municipality) and `folder`/.env
    (a template with UPPSIKT_CONFIG and UPPSIKT_DATA filled in and every secret commented out).
    Refuses to overwrite either file unless `force`; then nothing is written."""
    name = check_name(name, lang)
    folder = folder.expanduser().absolute()
    config, env = folder / paths.CONFIG_NAME, folder / paths.ENV_NAME
    data = (data or (folder / "data" if folder != paths.user_config_dir() else paths.user_data_dir())).absolute()
    if not force:
        for path in (config, env):
            if path.exists():
                raise InstallError(t("init.exists", lang, path=path))
    text = starting_config(name)
    template = t("init.env_template", lang, config=config, data=data)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        config.write_text(text, encoding="utf-8")
        fd = os.open(env, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # it will hold tokens: yours only
        with open(fd, "w", encoding="utf-8") as fh:
            fh.write(template)
        env.chmod(0o600)  # also when --force overwrote a file that had wider permissions
    except OSError as exc:
        raise InstallError(t("init.cannot_write", lang, path=folder, error=exc)) from None
    return Written(config, env, data)


# --------------------------------------------------------------------------- the Teams package's publisher


def placeholder_fields(manifest: dict) -> list[str]:
    """The developer fields that still hold the example's placeholders."""
    developer = manifest.get("developer") or {}
    return [f for f in DEVELOPER_FIELDS
            if PLACEHOLDER in str(developer.get(f, "")).upper() or str(developer.get(f, "")).upper() == PLACEHOLDER_NAME]


def placeholder_warning(manifest: dict, lang: str = "sv") -> str | None:
    fields = placeholder_fields(manifest)
    if not fields:
        return None
    names = ", ".join(t(f"teams.placeholders.{FIELD_KEYS[f]}", lang) for f in fields)
    return t("teams.placeholders.warning", lang, fields=names)


def check_developer(values: dict[str, str | None], lang: str = "sv") -> dict[str, str]:
    """The publisher details given on the command line, checked against Teams' limits."""
    out: dict[str, str] = {}
    for field, value in values.items():
        if value is None:
            continue
        value = value.strip()
        if not value:  # an empty flag is as good as none: the placeholder warning still tells
            continue
        if len(value) > DEVELOPER_LIMITS[field]:
            raise InstallError(t("teams.placeholders.too_long", lang, value=repr(value), max=DEVELOPER_LIMITS[field]))
        if field != "name" and not HTTPS_RE.match(value):
            raise InstallError(t("teams.placeholders.bad_url", lang, value=repr(value)))
        out[field] = value
    return out


def set_developer(package: Path, developer: dict[str, str]) -> dict:
    """Write the publisher details into the package's manifest.json; returns the manifest."""
    with zipfile.ZipFile(package) as zf:
        entries = {name: zf.read(name) for name in zf.namelist()}
    manifest = json.loads(entries["manifest.json"])
    if developer:
        manifest["developer"] = {**manifest.get("developer", {}), **developer}
        entries["manifest.json"] = json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8")
        with zipfile.ZipFile(package, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name, payload in entries.items():
                zf.writestr(name, payload)
    return manifest
