#!/usr/bin/env bash
# Builds, offline, the image the systemd tests boot: Debian 12 with systemd as
# PID 1 (systemd, systemd-sysv, dbus), nats-server for an embedded control
# plane, and this machine's `node` binary. The installers then run inside it
# exactly as on a customer machine. No registry is needed: debootstrap from
# Debian's mirror, then `docker import`.
# Usage: scripts/build-systemd-image.sh [IMAGE]   (root; needs debootstrap, docker)
set -euo pipefail
IMAGE="${1:-fleet-test/systemd:1}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SUITE=bookworm
PACKAGES="systemd systemd-sysv dbus nats-server procps ca-certificates libstdc++6"
NODE_BIN="$(command -v node)"

# An image built from other inputs (another package list, another node) is built again.
BUILD_HASH="$( { cat "$0"; echo "$PACKAGES"; "$NODE_BIN" --version; } | sha256sum | cut -c1-16)"
if [ "$(docker image inspect -f '{{ index .Config.Labels "io.cline-fleet.build-hash" }}' "$IMAGE" 2>/dev/null)" = "$BUILD_HASH" ]; then
  echo "image $IMAGE is present and current"
  exit 0
fi
for tool in debootstrap docker chroot; do
  command -v "$tool" >/dev/null || { echo "error: $tool is missing; install it (apt-get install -y debootstrap for debootstrap)" >&2; exit 1; }
done
[ "$(id -u)" -eq 0 ] || { echo "error: debootstrap needs root" >&2; exit 1; }

work="$(mktemp -d)"
root="$work/rootfs"
trap 'umount "$root/proc" 2>/dev/null || true; rm -rf "$work"' EXIT

echo "==> Debian $SUITE root file system" >&2
debootstrap --variant=minbase "$SUITE" "$root" "$MIRROR" >"$work/debootstrap.log" 2>&1 \
  || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
cp /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc"
echo "==> packages: $PACKAGES" >&2
chroot "$root" env DEBIAN_FRONTEND=noninteractive sh -c \
  "apt-get update -qq && apt-get install -y -qq --no-install-recommends $PACKAGES >/dev/null"
umount "$root/proc"
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb
: > "$root/etc/resolv.conf"
install -m 0755 "$NODE_BIN" "$root/usr/bin/node"
# A container boots no hardware: units that wait for it only slow the boot down.
for unit in systemd-udevd.service systemd-udev-trigger.service systemd-resolved.service getty@tty1.service \
            console-getty.service systemd-networkd-wait-online.service nats-server.service; do
  ln -sf /dev/null "$root/etc/systemd/system/$unit"
done
echo 'fleet-systemd-test' > "$root/etc/hostname"

echo "==> importing $IMAGE" >&2
tar -C "$root" -c . | docker import \
  --change 'ENV container=docker' \
  --change "LABEL io.cline-fleet.build-hash=$BUILD_HASH" \
  --change 'CMD ["/sbin/init"]' \
  - "$IMAGE" >/dev/null
echo "image $IMAGE built"
