#!/usr/bin/env bash
# Builds the Cline agent image without a container registry: a Debian 12 root
# file system from debootstrap with the packages in packages.txt, the Cline
# binary pinned by package-lock.json, and the same user, paths and entry point
# as the Dockerfile, imported with `docker import`.
# Usage: installers/cline-agent/build-offline.sh [IMAGE]   (root; needs debootstrap, npm, docker)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
IMAGE="${1:-localhost/cline-fleet/agent:3.0.65}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SUITE=bookworm

# The inputs' hash is a label on the image: an image built from other inputs
# (an older entry point, another package list) is built again.
BUILD_HASH="$(cat "$here/packages.txt" "$here/package-lock.json" "$here/fleet-cline-run" "$here/build-offline.sh" | sha256sum | cut -c1-16)"
if [ "$(docker image inspect -f '{{ index .Config.Labels "io.cline-fleet.build-hash" }}' "$IMAGE" 2>/dev/null)" = "$BUILD_HASH" ]; then
  echo "image $IMAGE is present and current"
  exit 0
fi
for tool in debootstrap npm docker chroot; do
  command -v "$tool" >/dev/null || { echo "error: $tool is missing; install it (apt-get install -y debootstrap for debootstrap)" >&2; exit 1; }
done
[ "$(id -u)" -eq 0 ] || { echo "error: debootstrap needs root" >&2; exit 1; }

work="$(mktemp -d)"
root="$work/rootfs"
trap 'umount "$root/proc" 2>/dev/null || true; rm -rf "$work"' EXIT

echo "==> Cline CLI from the npm registry (pinned by package-lock.json)" >&2
cp "$here/package.json" "$here/package-lock.json" "$work/"
(cd "$work" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)

echo "==> Debian $SUITE root file system" >&2
debootstrap --variant=minbase "$SUITE" "$root" "$MIRROR" >"$work/debootstrap.log" 2>&1 \
  || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
cp /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc"
packages="$(grep -v '^#' "$here/packages.txt" | xargs)"
echo "==> packages: $packages" >&2
chroot "$root" env DEBIAN_FRONTEND=noninteractive sh -c \
  "apt-get update -qq && apt-get install -y -qq --no-install-recommends $packages >/dev/null"
chroot "$root" useradd --uid 1000 --create-home --shell /bin/bash cline
umount "$root/proc"
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb
: > "$root/etc/resolv.conf"
mkdir -p "$root/workspace" "$root/run/fleet" "$root/opt/cline"
chown 1000:1000 "$root/workspace"
cp -a "$work/node_modules/@cline/cli-linux-x64/." "$root/opt/cline/"
ln -sf /opt/cline/bin/cline "$root/usr/local/bin/cline"
install -m 0755 "$here/fleet-cline-run" "$root/usr/local/bin/fleet-cline-run"

echo "==> importing $IMAGE" >&2
tar -C "$root" -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'USER cline' \
  --change 'WORKDIR /workspace' \
  --change "LABEL io.cline-fleet.agent=cline io.cline-fleet.cline-version=3.0.65 io.cline-fleet.build-hash=$BUILD_HASH" \
  --change 'ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/fleet-cline-run"]' \
  - "$IMAGE" >/dev/null
echo "image $IMAGE built"
