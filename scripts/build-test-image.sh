#!/usr/bin/env bash
# Builds the small image the tests and the demo run, offline: a root file
# system holding Debian's static busybox, imported with `docker import`.
# No registry is needed. Usage: scripts/build-test-image.sh [IMAGE]
set -euo pipefail
IMAGE="${1:-fleet-test/busybox:1}"
BUSYBOX="${BUSYBOX:-/bin/busybox}"

if docker image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "image $IMAGE is present"
  exit 0
fi
if ! file -L "$BUSYBOX" 2>/dev/null | grep -q 'statically linked' && ! ldd "$BUSYBOX" 2>&1 | grep -q 'not a dynamic executable'; then
  echo "error: $BUSYBOX is not a static busybox; install it with: apt-get install -y busybox-static" >&2
  exit 1
fi
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/tmp" "$root/etc" "$root/workspace"
cp "$BUSYBOX" "$root/bin/busybox"
for applet in $("$BUSYBOX" --list); do
  [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done
echo 'root:x:0:0:root:/:/bin/sh' > "$root/etc/passwd"
echo 'root:x:0:' > "$root/etc/group"
chmod 1777 "$root/tmp"
tar -C "$root" -c . | docker import --change 'ENV PATH=/bin' --change 'CMD ["/bin/sh"]' - "$IMAGE" >/dev/null
echo "image $IMAGE built"
