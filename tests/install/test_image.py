"""The Dockerfile built and run for real with podman, where the machine has it.

No base image can be pulled here, so `.ci/container-base.sh` (run by .ci/run) installs podman from
Debian's packages and builds a stand-in for python:3.13-slim-bookworm from Debian packages; the
Dockerfile is built unchanged on top of it (pip inside the build reaches PyPI). Without podman or the
stand-in this test skips and says so; test_container.py checks the recipe either way.

The storage driver (vfs), the runtime (runc with cgroupfs) and no default ulimits suit a CI machine that
is itself a sandbox; they change nothing in the image.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.install.test_container import APP_ID, free_port

BASE = "localhost/python:3.13-slim-bookworm"


@pytest.fixture(scope="module")
def podman(tmp_path_factory):
    exe = shutil.which("podman")
    if exe is None:
        pytest.skip("podman is not installed (.ci/container-base.sh installs it); the recipe is checked by "
                    "test_container.py")
    conf = tmp_path_factory.mktemp("podman") / "containers.conf"
    conf.write_text("[containers]\ndefault_ulimits = []\n", encoding="utf-8")
    env = {**__import__("os").environ, "STORAGE_DRIVER": "vfs", "CONTAINERS_CONF": str(conf)}

    def run(*args: str, check: bool = True, timeout: float = 120, **kw) -> subprocess.CompletedProcess:
        done = subprocess.run([exe, "--runtime", "runc", "--cgroup-manager=cgroupfs", *args], capture_output=True,
                              text=True, timeout=timeout, env=env, **kw)
        if check:
            assert done.returncode == 0, f"podman {' '.join(args)}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        return done

    if run("image", "exists", BASE, check=False).returncode != 0:
        pytest.skip(f"no stand-in base image {BASE}: run .ci/container-base.sh")
    return run


@pytest.fixture(scope="module")
def image(podman):
    tag = f"localhost/uppsikt-test:{uuid.uuid4().hex[:8]}"
    podman("build", "--format", "docker", "--pull=never", "--network=host", "--isolation=chroot", "-t", tag,
           str(REPO), timeout=900)
    yield tag
    podman("rmi", "-f", tag, check=False)


def test_the_image_has_the_recipes_properties(podman, image):
    info = json.loads(podman("image", "inspect", image).stdout)[0]
    config = info["Config"]
    assert config["User"] == "10001:10001" and config["Entrypoint"] == ["uppsikt"] and config["Cmd"] == ["run"]
    assert "/data" in config["Volumes"] and config["StopSignal"] == "SIGTERM"
    assert (info.get("Healthcheck") or info.get("HealthCheck"))["Test"] == ["CMD", "python", "-m", "bot.healthcheck"]
    done = podman("run", "--rm", "--network=host", image, "check-config")
    assert "bot/_config/example.toml: inga fel. Ekby kommun" in done.stdout
    console = podman("run", "-i", "--rm", "--network=host", image, input="/uppsikt status\navsluta\n")
    assert "» Uppsikt för Ekby kommun" in console.stdout


def test_the_teams_service_runs_is_healthy_keeps_its_volume_and_stops_cleanly(podman, image):
    name, volume, port = f"uppsikt-{uuid.uuid4().hex[:8]}", f"uppsikt-data-{uuid.uuid4().hex[:8]}", free_port()
    podman("run", "-d", "--name", name, "--network=host", "-v", f"{volume}:/data",
           "-e", f"UPPSIKT_HEALTHZ_URL=http://127.0.0.1:{port}/healthz", "-e", f"MicrosoftAppId={APP_ID}",
           "-e", "MicrosoftAppPassword=not-a-secret", "-e", f"MicrosoftAppTenantId={APP_ID}",
           image, "run", "--teams", "--port", str(port))
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            check = podman("healthcheck", "run", name, check=False)
            if check.returncode == 0:
                break
            time.sleep(0.5)
        assert check.returncode == 0, podman("logs", name, check=False).stderr[-3000:]
        health = json.loads(podman("inspect", name, "--format", "{{json .State.Health}}").stdout)
        assert health["Status"] == "healthy" and health["Log"][-1]["Output"].strip() == "/healthz svarade 200: ok"
        assert podman("exec", name, "id", "-u").stdout.strip() == "10001"
        podman("exec", name, "uppsikt", "backup", "/data/backups/manual.db")  # docs/production.md
        started = time.monotonic()
        podman("stop", "-t", "30", name)  # SIGTERM, as docker stop
        assert time.monotonic() - started < 25  # stopped by the signal, not killed after the grace period
        assert podman("inspect", name, "--format", "{{.State.ExitCode}}").stdout.strip() == "0"
    finally:
        podman("rm", "-f", name, check=False)
    listing = podman("run", "--rm", "-v", f"{volume}:/data", "--entrypoint", "ls", image, "/data", "/data/backups")
    assert "uppsikt.db" in listing.stdout and "manual.db" in listing.stdout  # the volume outlives the container
    podman("volume", "rm", "-f", volume, check=False)
