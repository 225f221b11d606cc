#!/usr/bin/env bash
# Prepares what tests/install/test_image.py needs to build and run the Dockerfile with podman where no
# base image can be pulled (CI and the developers' machines reach only the package registries):
#   * podman, runc and debootstrap from Debian's packages;
#   * a stand-in for python:3.13-slim-bookworm built from Debian packages (trixie: Python 3.13), with
#     `python` and `pip` from a virtual environment on PATH as in the official image, and this machine's
#     extra CA certificates (an egress proxy's) so pip inside the build reaches PyPI.
# Idempotent; exits non-zero when something cannot be had (then the image test skips and says why).
set -euo pipefail
BASE=localhost/python:3.13-slim-bookworm
export STORAGE_DRIVER=vfs

if ! command -v podman >/dev/null || ! command -v runc >/dev/null || ! command -v debootstrap >/dev/null; then
  [ "$(id -u)" -eq 0 ] || { echo "container-base: podman, runc and debootstrap are needed (apt-get as root)" >&2; exit 1; }
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq podman runc debootstrap uidmap slirp4netns fuse-overlayfs >/dev/null
fi
# The same settings as tests/install/test_image.py: runc with cgroupfs, no default ulimits (a sandboxed
# machine may refuse to raise them).
CONF=$(mktemp /tmp/uppsikt-containers.XXXXXX.conf)
trap 'rm -f "$CONF"' EXIT
printf '[containers]\ndefault_ulimits = []\n' >"$CONF"
export CONTAINERS_CONF=$CONF
smoke() {  # the stand-in runs a container here, or it is removed and the image test skips
  if ! podman --runtime runc --cgroup-manager=cgroupfs run --rm --network=host "$BASE" python -c 'print("ok")' \
      | grep -qx ok; then
    echo "container-base: podman cannot run a container on this machine" >&2
    podman rmi -f "$BASE" >/dev/null 2>&1 || true
    exit 1
  fi
}
if podman image exists "$BASE"; then
  smoke
  echo "container-base: $BASE is there and runs"
  exit 0
fi
ROOT=$(mktemp -d /tmp/uppsikt-base.XXXXXX)
trap 'rm -rf "$ROOT" "$CONF"' EXIT
debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates trixie "$ROOT" \
  http://deb.debian.org/debian >/dev/null
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
  cp /usr/local/share/ca-certificates/*.crt "$ROOT/usr/local/share/ca-certificates/"
  chroot "$ROOT" update-ca-certificates >/dev/null
fi
chroot "$ROOT" python3 -m venv /usr/local/py
rm -rf "$ROOT"/var/cache/apt/archives/*.deb "$ROOT"/var/lib/apt/lists/*
tar -C "$ROOT" -c . | podman import \
  --change 'ENV PATH=/usr/local/py/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt' \
  --change 'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' \
  --change 'CMD ["python"]' - "$BASE" >/dev/null
smoke
echo "container-base: $BASE built from Debian packages and runs"
