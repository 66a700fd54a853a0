#!/usr/bin/env bash
# Installs (or upgrades) a fleet control plane replica on this machine from a checkout.
#
#   sudo installers/install-control-plane.sh [--nats nats://n1:4222,nats://n2:4222] [--listen 0.0.0.0:7700]
#        [--nats-creds FILE] [--nats-ca FILE] [--replicas 3] [--force] [--no-start]
#
# With no --nats the replica runs an embedded nats-server (install nats-server
# first); for more than one replica, point them all at one JetStream cluster.
# --nats-creds (an nkey seed or .creds file, kept 0600) and --nats-ca (the
# servers' CA: TLS) are how it logs in to a secured cluster (see
# installers/examples/three-node).
# --root DIR stages everything under DIR instead (no user, no systemctl).
set -euo pipefail
# shellcheck source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"

usage() { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

NATS='' NATS_CREDS='' NATS_CA='' LISTEN=0.0.0.0:7700 REPLICAS=1 ROOT='' PREFIX=$FLEET_PREFIX_DEFAULT FORCE=no START=yes
while [ $# -gt 0 ]; do
  case "$1" in
    --nats) NATS=${2:?--nats needs URLs}; shift 2 ;;
    --nats-creds) NATS_CREDS=${2:?--nats-creds needs a file}; shift 2 ;;
    --nats-ca) NATS_CA=${2:?--nats-ca needs a file}; shift 2 ;;
    --listen) LISTEN=${2:?--listen needs HOST:PORT}; shift 2 ;;
    --replicas) REPLICAS=${2:?--replicas needs a number}; shift 2 ;;
    --root) ROOT=${2:?--root needs a directory}; shift 2 ;;
    --prefix) PREFIX=${2:?--prefix needs a directory}; shift 2 ;;
    --force) FORCE=yes; shift ;;
    --no-start) START=no; shift ;;
    -h|--help) usage 0 ;;
    *) printf 'unknown option: %s\n' "$1" >&2; usage 2 ;;
  esac
done

LISTEN_RE='^[][A-Za-z0-9.:-]+:[0-9]+$'
NATS_RE='^[][A-Za-z0-9.:/,-]+$'
[[ "$LISTEN" =~ $LISTEN_RE ]] || die "--listen: \"$LISTEN\" is not HOST:PORT"
[[ "$REPLICAS" =~ ^[1-9][0-9]*$ ]] || die "--replicas: must be a whole number of at least 1"
[ -z "$NATS" ] || [[ "$NATS" =~ $NATS_RE ]] || die "--nats: \"$NATS\" is not a list of URLs"
PATH_RE='^/[A-Za-z0-9._/-]+$'
[ -z "$NATS_CREDS" ] || [[ "$NATS_CREDS" =~ $PATH_RE ]] || die "--nats-creds: give an absolute path"
[ -z "$NATS_CA" ] || [[ "$NATS_CA" =~ $PATH_RE ]] || die "--nats-ca: give an absolute path"
[ -z "$NATS_CREDS$NATS_CA" ] || [ -n "$NATS" ] || die "--nats-creds and --nats-ca are for --nats (the embedded server makes its own credentials)"
if [ -z "$ROOT" ] && [ "$(id -u)" -ne 0 ]; then die "run as root (sudo), or stage with --root DIR"; fi
require_node
if [ -z "$NATS" ] && [ -z "$ROOT" ] && ! command -v nats-server >/dev/null; then
  die "no --nats given and nats-server is not installed: apt-get install -y nats-server, or pass --nats URL"
fi
if [ -z "$ROOT" ] && ! command -v git >/dev/null; then say "warning: git is not installed; Cline results cannot be delivered as branches or pull requests until it is (apt-get install -y git)"; fi

install_tree "$ROOT" "$PREFIX"
ensure_user "$ROOT"
install_config "$ROOT" control-plane.env "$(sed \
  -e "s#^FLEET_NATS_URL=.*#FLEET_NATS_URL=$NATS#" \
  -e "s#^FLEET_NATS_CREDS=.*#FLEET_NATS_CREDS=$NATS_CREDS#" \
  -e "s#^FLEET_NATS_CA=.*#FLEET_NATS_CA=$NATS_CA#" \
  -e "s#^FLEET_CONTROL_PLANE_ARGS=.*#FLEET_CONTROL_PLANE_ARGS=--listen $LISTEN --replicas $REPLICAS#" \
  "$REPO_DIR/installers/config/control-plane.env")" "$FORCE"
install_unit "$ROOT" fleet-control-plane.service
if [ "$PREFIX" != "$FLEET_PREFIX_DEFAULT" ]; then
  sed -i "s#$FLEET_PREFIX_DEFAULT#$PREFIX#g" "$ROOT/etc/systemd/system/fleet-control-plane.service"
fi
start_unit "$ROOT" fleet-control-plane.service "$START"
