"""docs/uppsikt.service is usable as it is: the install steps in its header work with the installed wheel,
systemd accepts the unit, and its ExecStartPre/ExecStart run with the environment file `uppsikt init`
writes (paths under /opt, /etc and /var/lib mapped to folders here)."""

from __future__ import annotations

import configparser
import re
import shlex
import shutil
import subprocess

import pytest

from tests.conftest import REPO
from tests.install.conftest import Installed

UNIT = REPO / "docs" / "uppsikt.service"


def unit_text(installed: Installed, etc, var) -> str:
    return (UNIT.read_text(encoding="utf-8").replace("/opt/uppsikt/bin/", f"{installed.bin}/")
            .replace("/etc/uppsikt", str(etc)).replace("/var/lib/uppsikt", str(var)))


def env_file(path) -> dict[str, str]:
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            out[key] = value
    return out


def test_the_unit_installs_checks_and_runs(installed: Installed, tmp_path):
    etc, var = tmp_path / "etc", tmp_path / "var"
    text = unit_text(installed, etc, var)
    init = next(line for line in text.splitlines() if " init " in line)
    args = shlex.split(init.split("sudo ", 1)[1])
    assert args[1:3] == ["init", str(etc)]
    installed.run(*args)
    env = env_file(etc / ".env")
    assert env == {"UPPSIKT_CONFIG": str(etc / "uppsikt.toml"), "UPPSIKT_DATA": str(var)}

    unit = configparser.ConfigParser(interpolation=None, strict=True)
    unit.optionxform = str
    unit.read_string(text)
    service = unit["Service"]
    assert service["EnvironmentFile"] == str(etc / ".env") and service["KillSignal"] == "SIGTERM"
    assert service["StandardInput"] == "null" and service["User"] == "uppsikt" and service["StateDirectory"] == "uppsikt"
    check = subprocess.run(shlex.split(service["ExecStartPre"]), capture_output=True, text=True, timeout=120,
                           env=installed.env(**env), cwd=tmp_path, stdin=subprocess.DEVNULL)
    assert check.returncode == 0 and f"{etc / 'uppsikt.toml'}: inga fel. Ekby kommun" in check.stdout, check.stderr
    run = subprocess.run(shlex.split(service["ExecStart"]), capture_output=True, text=True, timeout=120,
                         env=installed.env(**env), cwd=tmp_path, stdin=subprocess.DEVNULL)
    assert run.returncode == 0, run.stderr  # without tokens: the console, which ends at once on no input
    assert (var / "uppsikt.db").is_file()


def test_systemd_accepts_the_unit(installed: Installed, tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed: the unit is checked by the test above, not by systemd")
    etc, var = tmp_path / "etc", tmp_path / "var"
    etc.mkdir()
    (etc / ".env").write_text("", encoding="utf-8")
    text = unit_text(installed, etc, var)
    path = tmp_path / "uppsikt.service"
    path.write_text(text, encoding="utf-8")
    done = subprocess.run([analyze, "verify", str(path)], capture_output=True, text=True, timeout=60)
    problems = [line for line in (done.stdout + done.stderr).splitlines()
                if "uppsikt.service" in line and not re.search(r"Documentation|file:///", line)]
    assert done.returncode == 0 and not problems, done.stdout + done.stderr
