"""Installing and running: where the config and the data folder come from, `uppsikt init`, the shipped
files, the Teams package's publisher details, and a run path with nothing POSIX-only on it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
import zipfile

import pytest

from bot import install, paths
from bot.cli import main
from bot.settings import check_config
from tests.conftest import REPO

BOT_ID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"


# --------------------------------------------------------------------------- shipped files


def test_the_shipped_files_are_the_repositorys_config_folder():
    assert paths.SHIPPED.resolve() == (REPO / "config").resolve()  # one copy in git: config/ itself
    for path in (paths.EXAMPLE_CONFIG, paths.POLICY_DIR / "lekeberg.toml", paths.SLACK_MANIFEST,
                 paths.TEAMS_DIR / "manifest.json", paths.TEAMS_DIR / "color.png"):
        assert path.is_file(), path


def test_pyproject_lists_every_package_and_ships_every_config_file():
    """The package list is explicit (config/ is mapped to bot._config), so a new package under bot/ must be
    added to it, and every file in config/ must match a package-data pattern."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    found = {".".join(p.relative_to(REPO).parts[:-1]) for p in (REPO / "bot").rglob("*.py")
             if "__pycache__" not in p.parts}
    assert found | {"bot._config"} == set(project["packages"]), "update [tool.setuptools] packages"
    assert project["package-dir"] == {"bot._config": "config"}
    patterns = project["package-data"]["bot._config"]
    shipped = [p for p in (REPO / "config").rglob("*") if p.is_file() and "__pycache__" not in p.parts
               and p.suffix != ".py"]
    assert shipped
    for p in shipped:
        rel = p.relative_to(REPO / "config")
        assert any(rel.match(pattern) and len(rel.parts) == len(pattern.split("/")) for pattern in patterns), rel


# --------------------------------------------------------------------------- config and data folder


def test_a_flag_beats_the_environment_which_beats_the_default(tmp_path):
    env = {"UPPSIKT_CONFIG": str(tmp_path / "env.toml"), "UPPSIKT_DATA": str(tmp_path / "envdata")}
    assert paths.config_path("flag.toml", env, cwd=tmp_path) == paths.Path("flag.toml")
    assert paths.config_path(None, env, cwd=tmp_path) == tmp_path / "env.toml"
    assert paths.data_dir("d", env, cwd=tmp_path) == paths.Path("d")
    assert paths.db_path(None, None, env, cwd=tmp_path) == tmp_path / "envdata" / "uppsikt.db"
    assert paths.db_path("x.db", "d", env, cwd=tmp_path) == paths.Path("x.db")
    assert paths.db_path(None, "d", env, cwd=tmp_path) == paths.Path("d") / "uppsikt.db"


def test_a_checkout_uses_its_own_config_and_data_folders():
    assert paths.checkout(REPO) == REPO
    assert paths.config_path(None, {}, cwd=REPO) == REPO / "config" / "example.toml"
    assert paths.data_dir(None, {}, cwd=REPO) == REPO / "data"


def test_elsewhere_the_per_user_folders_and_the_shipped_example(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    if sys.platform != "linux":
        pytest.skip("XDG folders are Linux's")
    assert paths.checkout(tmp_path) is None
    assert paths.config_path(None, {}, cwd=tmp_path) == paths.EXAMPLE_CONFIG  # nothing written by init yet
    assert paths.data_dir(None, {}, cwd=tmp_path) == tmp_path / "share" / "uppsikt"
    mine = tmp_path / "cfg" / "uppsikt" / "uppsikt.toml"
    mine.parent.mkdir(parents=True)
    mine.write_text("", encoding="utf-8")
    assert paths.config_path(None, {}, cwd=tmp_path) == mine


def test_the_cli_reads_uppsikt_config_and_uppsikt_data(tmp_path, monkeypatch, capsys):
    config = tmp_path / "kommun.toml"
    config.write_text(paths.EXAMPLE_CONFIG.read_text(encoding="utf-8").replace("Ekby kommun", "Åby kommun"),
                      encoding="utf-8")
    monkeypatch.setenv("UPPSIKT_CONFIG", str(config))
    monkeypatch.setenv("UPPSIKT_DATA", str(tmp_path / "data"))
    assert main(["check-config"]) == 0
    assert "Åby kommun" in capsys.readouterr().out
    assert main(["export", "register", "--format", "json"]) == 0
    assert (tmp_path / "data" / "uppsikt.db").is_file()  # the database went to UPPSIKT_DATA
    assert main(["export", "register", "--format", "json", "--data", str(tmp_path / "other")]) == 0
    assert (tmp_path / "other" / "uppsikt.db").is_file()  # --data beats UPPSIKT_DATA


# --------------------------------------------------------------------------- uppsikt init


def test_init_writes_a_named_config_that_checks_clean_and_an_env_template(tmp_path, capsys):
    assert main(["init", str(tmp_path / "site"), "--municipality", "Åby kommun"]) == 0
    out = capsys.readouterr().out
    config, env = tmp_path / "site" / "uppsikt.toml", tmp_path / "site" / ".env"
    assert f"Klart. Jag har skrivit {config} och {env}." in out and "uppsikt check-config" in out
    settings, problems = check_config(config)
    assert problems == [] and settings.municipality.name == "Åby kommun"
    assert len(settings.accounts) == len(check_config(paths.EXAMPLE_CONFIG)[0].accounts)
    text = env.read_text(encoding="utf-8")
    assert f"UPPSIKT_CONFIG={config}\n" in text and f"UPPSIKT_DATA={tmp_path / 'site' / 'data'}\n" in text
    assert "\n#SLACK_BOT_TOKEN=" in text and "\nSLACK_BOT_TOKEN" not in text  # secrets commented out
    if os.name == "posix":
        assert env.stat().st_mode & 0o077 == 0  # it will hold tokens


def test_init_refuses_to_overwrite_without_force(tmp_path, capsys):
    assert main(["init", str(tmp_path), "--municipality", "Åby kommun"]) == 0
    (tmp_path / "uppsikt.toml").write_text("# mina ändringar\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["init", str(tmp_path), "--municipality", "Öby kommun"]) == 2
    err = capsys.readouterr().err
    assert "finns redan, så jag har inte ändrat något" in err and "--force" in err
    assert (tmp_path / "uppsikt.toml").read_text(encoding="utf-8") == "# mina ändringar\n"
    assert main(["init", str(tmp_path), "--municipality", "Öby kommun", "--force"]) == 0
    assert 'name = "Öby kommun"' in (tmp_path / "uppsikt.toml").read_text(encoding="utf-8")


def test_init_without_a_name_and_without_a_terminal_says_how(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", open(os.devnull, encoding="utf-8"))
    assert main(["init", str(tmp_path)]) == 2
    assert 'uppsikt init --municipality "Ekby kommun"' in capsys.readouterr().err
    assert main(["init", str(tmp_path), "--municipality", "Ekby\nkommun"]) == 2
    assert "på en rad" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_init_asks_for_the_name_on_a_terminal(tmp_path, monkeypatch, capsys):
    class Tty:
        def isatty(self):
            return True

    asked = []
    monkeypatch.setattr(sys, "stdin", Tty())
    monkeypatch.setattr("builtins.input", lambda prompt: asked.append(prompt) or ' Åby "norra" kommun ')
    assert main(["init", str(tmp_path)]) == 0
    assert asked == ["Vad heter kommunen (till exempel Ekby kommun)? "]
    settings, problems = check_config(tmp_path / "uppsikt.toml")
    assert problems == [] and settings.municipality.name == 'Åby "norra" kommun'


# --------------------------------------------------------------------------- the Teams package


def _manifest(path) -> dict:
    with zipfile.ZipFile(path) as zf:
        return json.loads(zf.read("manifest.json"))


def test_teams_package_warns_in_swedish_while_the_publisher_is_the_placeholder(tmp_path, capsys):
    assert main(["teams-package", "--bot-id", BOT_ID, "--out", str(tmp_path / "p.zip")]) == 0
    err = capsys.readouterr().err
    assert "Obs! Paketet har fortfarande exemplets uppgifter om utgivaren" in err
    assert "utgivarens namn, webbplats, sida om personuppgifter, användarvillkor" in err


def test_teams_package_takes_the_publisher_and_then_does_not_warn(tmp_path, capsys):
    out = tmp_path / "p.zip"
    assert main(["teams-package", "--bot-id", BOT_ID, "--out", str(out), "--developer", "Åby kommun",
                 "--website", "https://www.aby.se", "--privacy", "https://www.aby.se/personuppgifter",
                 "--terms", "https://www.aby.se/uppsikt"]) == 0
    assert "Obs!" not in capsys.readouterr().err
    manifest = _manifest(out)
    assert manifest["developer"] == {"name": "Åby kommun", "websiteUrl": "https://www.aby.se",
                                     "privacyUrl": "https://www.aby.se/personuppgifter",
                                     "termsOfUseUrl": "https://www.aby.se/uppsikt"}
    assert manifest["bots"][0]["botId"] == BOT_ID
    with zipfile.ZipFile(out) as zf:
        assert sorted(zf.namelist()) == ["color.png", "manifest.json", "outline.png"]


def test_teams_package_refuses_a_bad_publisher_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "p.zip"
    assert main(["teams-package", "--bot-id", BOT_ID, "--out", str(out), "--website", "www.aby.se"]) == 2
    assert "ingen fullständig https-adress" in capsys.readouterr().err
    assert main(["teams-package", "--bot-id", BOT_ID, "--out", str(out), "--developer", "x" * 33]) == 2
    assert "högst 32 tecken" in capsys.readouterr().err
    assert not out.exists()
    assert install.placeholder_fields({"developer": {"name": "Åby kommun", "websiteUrl": "https://www.DIN-KOMMUN.se",
                                                     "privacyUrl": "https://a.se", "termsOfUseUrl": "https://a.se"}}) \
        == ["websiteUrl"]


# --------------------------------------------------------------------------- nothing POSIX-only on the run path

BLOCK_FCNTL = """
import importlib.abc, sys
class NoFcntl(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "fcntl":
            raise ImportError("No module named 'fcntl' (blocked, as on Windows)")
        return None
sys.modules.pop("fcntl", None)
sys.meta_path.insert(0, NoFcntl())
"""

RUN_PATH = BLOCK_FCNTL + """
import io, pathlib, warnings
warnings.simplefilter("ignore")  # filelock says it falls back to a soft lock here (on Windows it uses msvcrt)
import bot.cli, bot.jobs, bot.adapters.console, bot.adapters.line_editing
import bot.adapters.slack.app, bot.adapters.teams.cli, bot.adapters.teams.app
import slack_bolt.adapter.socket_mode
db = pathlib.Path(sys.argv[1])
first = bot.jobs.scheduler_lock(db)
assert first is not None and bot.jobs.scheduler_lock(db) is None
first.close()
again = bot.jobs.scheduler_lock(db)
assert again is not None
again.close()
sys.stdin = io.StringIO("/uppsikt status\\navsluta\\n")
code = bot.cli.main(["run", "--db", str(db), "--start", "2026-12-07T08:00"])
assert code == 0, code
assert "fcntl" not in sys.modules, "fcntl was imported"
print("run path ok without fcntl")
"""


def test_the_run_path_imports_and_runs_without_fcntl(tmp_path):
    """`uppsikt run` must start on Windows: nothing on its path may need fcntl (issue 9 point 6)."""
    done = subprocess.run([sys.executable, "-c", RUN_PATH, str(tmp_path / "u.db")], capture_output=True,
                          text=True, timeout=120, cwd=REPO)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "run path ok without fcntl" in done.stdout
    assert "Ekby kommun" in done.stdout  # the console welcomed us and ran the command


def test_the_block_really_blocks_fcntl():
    done = subprocess.run([sys.executable, "-c", BLOCK_FCNTL + "import fcntl"], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode != 0 and "blocked, as on Windows" in done.stderr
