#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine with Node 20 for running and testing the
# fleet: system packages, a running Docker engine, npm dependencies, the
# build, the offline test image, the offline Cline agent image and the systemd test image. Idempotent: a second run only checks.
# Needs root (or sudo) for the system packages and dockerd.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '==> %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# Each tool and the Debian package that brings it.
declare -A PACKAGES=(
  [dockerd]=docker.io
  [nats-server]=nats-server
  [busybox]=busybox-static
  [systemd-analyze]=systemd
  [file]=file
  [ip]=iproute2
  [git]=git
  [debootstrap]=debootstrap
  [promtool]=prometheus
)
missing=()
for tool in "${!PACKAGES[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("${PACKAGES[$tool]}")
done
# The static busybox specifically: the dynamic one cannot run in a bare image.
file -L /bin/busybox 2>/dev/null | grep -q 'statically linked' || missing+=(busybox-static)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing system packages: ${missing[*]}"
  as_root apt-get update -qq
  # prometheus is wanted for promtool alone: without its Recommends (node-exporter and what that brings). The others
  # keep theirs: docker.io's apparmor is what lets Docker 20.10 start containers on a host with AppArmor enabled.
  lean=() full=()
  for p in "${missing[@]}"; do if [ "$p" = prometheus ]; then lean+=("$p"); else full+=("$p"); fi; done
  [ ${#full[@]} -eq 0 ] || as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${full[@]}" >/dev/null
  [ ${#lean[@]} -eq 0 ] || as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${lean[@]}" >/dev/null
fi

# PID 1 may not be systemd (containers, CI): start dockerd ourselves when none answers.
if ! docker info >/dev/null 2>&1; then
  say "starting dockerd"
  as_root sh -c 'nohup setsid dockerd >/var/log/fleet-dockerd.log 2>&1 &'
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
  docker info >/dev/null 2>&1 || { tail -20 /var/log/fleet-dockerd.log >&2; echo "error: dockerd did not start (log above)" >&2; exit 1; }
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm dependencies"
  npm ci --no-audit --no-fund
fi
say "building"
npm run build --silent
scripts/build-test-image.sh >&2
# The Cline agent image, built from Debian's packages and the npm registry (no container registry needed).
installers/cline-agent/build-offline.sh >&2
# A Debian root with systemd as PID 1: the tests install and run the daemons under it.
scripts/build-systemd-image.sh >&2
say "ready"
