"""A real, non-editable install: the wheel built from a copy of the source, installed into a fresh virtual
environment outside the checkout. Offline and quick: the new environment reaches the test environment's
already installed dependencies through a .pth line (a plain path: .pth files there are not run, so the
checkout's editable install is not), and the wheel goes in with `pip install --no-deps --no-index`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO

SOURCE = ("bot", "config", "pyproject.toml", "README.md")


def _run(args: list[str], **kw) -> subprocess.CompletedProcess:
    done = subprocess.run(args, capture_output=True, text=True, timeout=300, **kw)
    assert done.returncode == 0, f"{args}\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    return done


@dataclass
class Installed:
    root: Path  # the folder everything lives in (tmp)
    venv: Path
    home: Path  # HOME and the XDG folders point here: nothing is written to the real user's folders

    @property
    def bin(self) -> Path:
        return self.venv / ("Scripts" if os.name == "nt" else "bin")

    @property
    def python(self) -> Path:
        return self.bin / ("python.exe" if os.name == "nt" else "python")

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("UPPSIKT_", "SLACK_", "Microsoft", "PYTHON", "VIRTUAL_ENV", "XDG_"))}
        env.update(HOME=str(self.home), XDG_CONFIG_HOME=str(self.home / ".config"),
                   XDG_DATA_HOME=str(self.home / ".local" / "share"), PYTHONIOENCODING="utf-8",
                   PATH=os.pathsep.join([str(self.bin), env.get("PATH", "")]))
        env.update(extra)
        return env

    def run(self, *args: str, cwd: Path | None = None, check: bool = True, **env: str) -> subprocess.CompletedProcess:
        done = subprocess.run(list(args), capture_output=True, text=True, timeout=300, cwd=cwd or self.root,
                              env=self.env(**env))
        if check:
            assert done.returncode == 0, f"{args}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        return done


@pytest.fixture(scope="session")
def installed(tmp_path_factory) -> Installed:
    root = tmp_path_factory.mktemp("installed")
    src = root / "src"
    src.mkdir()
    for name in SOURCE:  # build from a copy: nothing (build/, *.egg-info) is written into the checkout
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(REPO / name, src / name)
    dist = root / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
          "-w", str(dist), str(src)], cwd=root)
    wheel = next(dist.glob("uppsikt-*.whl"))
    venv = root / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    result = Installed(root=root, venv=venv, home=root / "home")
    result.home.mkdir()
    purelib = Path(_run([str(result.python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
                   .stdout.strip())
    here = {Path(sysconfig.get_paths()["purelib"]), Path(sysconfig.get_paths()["platlib"])}
    (purelib / "_uppsikt_test_deps.pth").write_text("".join(f"{p}\n" for p in sorted(here)), encoding="utf-8")
    _run([str(result.python), "-m", "pip", "install", "--no-deps", "--no-index", "--ignore-installed", "-q",
          str(wheel)], cwd=root, env=result.env())
    shutil.rmtree(src)  # the installed package must not lean on the source it was built from
    return result
