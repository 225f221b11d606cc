"""Where Uppsikt finds its files: the shipped defaults, the municipality's config and the data folder.

Shipped files (the example config, the policy presets, the scenarios, the Slack manifest, the Teams
manifest and icons) live in the repository's top-level ``config/`` folder, which is installed as the
package ``bot._config`` (pyproject.toml maps it) and read through importlib.resources: the same code
finds them in a checkout, an editable install and a wheel.

The config file and the data folder (database, nightly backups, console history) are chosen in this
order:

1. a flag (``--config``; ``--data`` or ``--db``);
2. the environment: ``UPPSIKT_CONFIG`` (a config file) and ``UPPSIKT_DATA`` (a folder);
3. a default: in a checkout (the current folder holds ``config/example.toml``) that folder's
   ``config/example.toml`` and ``data/``; elsewhere the config ``uppsikt init`` wrote to the per-user
   config folder, else the shipped example, and the per-user data folder (platformdirs:
   ``~/.local/share/uppsikt`` on Linux, ``%LOCALAPPDATA%\\uppsikt`` on Windows).
"""

from __future__ import annotations

import importlib.resources
import os
from collections.abc import Mapping
from pathlib import Path

import platformdirs

APP = "uppsikt"
CONFIG_ENV = "UPPSIKT_CONFIG"
DATA_ENV = "UPPSIKT_DATA"
DB_NAME = "uppsikt.db"
CONFIG_NAME = "uppsikt.toml"
ENV_NAME = ".env"
HISTORY_NAME = "console-history"


def shipped() -> Path:
    """The folder of shipped config files: ``config/`` in a checkout or an editable install, the
    installed ``bot/_config/`` in a wheel. Always a real folder (Uppsikt is not run from a zip)."""
    root = importlib.resources.files("bot._config")
    path = Path(str(root))
    if not path.is_dir():  # e.g. a zipapp: there is no folder to read presets from
        raise RuntimeError(f"bot._config is not a folder on disk: {root}")
    return path


SHIPPED = shipped()
EXAMPLE_CONFIG = SHIPPED / "example.toml"
POLICY_DIR = SHIPPED / "policies"
SCENARIO_DIR = SHIPPED / "scenarios"
TEAMS_DIR = SHIPPED / "teams"
SLACK_MANIFEST = SHIPPED / "slack-manifest.yml"


def _env(env: Mapping[str, str] | None, name: str) -> str:
    return (os.environ if env is None else env).get(name, "").strip()


def checkout(cwd: Path | None = None) -> Path | None:
    """The current folder when it is a checkout of Uppsikt (it holds config/example.toml), else None."""
    cwd = Path.cwd() if cwd is None else cwd
    return cwd if (cwd / "config" / "example.toml").is_file() else None


def user_config_dir() -> Path:
    return platformdirs.user_config_path(APP, appauthor=False)


def user_data_dir() -> Path:
    return platformdirs.user_data_path(APP, appauthor=False)


def config_path(flag: str | None = None, env: Mapping[str, str] | None = None, cwd: Path | None = None) -> Path:
    """The config file to use: the flag, then UPPSIKT_CONFIG, then the default (see the module doc)."""
    if flag:
        return Path(flag)
    if _env(env, CONFIG_ENV):
        return Path(_env(env, CONFIG_ENV)).expanduser()
    here = checkout(cwd)
    if here is not None:
        return here / "config" / "example.toml"
    mine = user_config_dir() / CONFIG_NAME
    return mine if mine.is_file() else EXAMPLE_CONFIG


def data_dir(flag: str | None = None, env: Mapping[str, str] | None = None, cwd: Path | None = None) -> Path:
    """The data folder: the flag, then UPPSIKT_DATA, then data/ in a checkout, else the per-user folder."""
    if flag:
        return Path(flag)
    if _env(env, DATA_ENV):
        return Path(_env(env, DATA_ENV)).expanduser()
    here = checkout(cwd)
    return here / "data" if here is not None else user_data_dir()


def db_path(db_flag: str | None = None, data_flag: str | None = None, env: Mapping[str, str] | None = None,
            cwd: Path | None = None) -> Path:
    """The database: ``--db`` as given, else ``uppsikt.db`` in the data folder."""
    return Path(db_flag) if db_flag else data_dir(data_flag, env, cwd) / DB_NAME
