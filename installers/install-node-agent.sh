#!/usr/bin/env bash
# Installs (or upgrades) the fleet node agent on this machine from a checkout.
#
#   sudo installers/install-node-agent.sh --control-plane cp1:7700,cp2:7700 --join-token-file FILE \
#        [--name NAME] [--slots N] [--image-pull missing|never] [--min-free-disk 2g]
#        [--docker-live-restore] [--force] [--no-start]
#
# The join token (--join-token-file FILE, or --join-token TOKEN, which other
# users can see in the process list) is written to the agent's data dir
# (mode 0600, the fleet user's); the agent deletes it once it has enrolled.
# A node's labels come from its join token (fleetctl token create --labels).
#
# --docker-live-restore sets "live-restore": true in /etc/docker/daemon.json
# (keeping its other settings) and reloads dockerd, so that an engine restart
# (an upgrade of docker.io) leaves running attempts running. Without it the
# installer checks the setting and says when it is off.
#
# An upgrade is the same command: the new tree replaces the old one, the
# settings in /etc/cline-fleet/node-agent.env stay, and the restarted agent
# adopts the containers that kept running. installers/upgrade-node-agent.sh
# does it step by step (drain first, wait until the agent is back, roll back).
# --root DIR stages everything under DIR instead (no user, no systemctl).
set -euo pipefail
# shellcheck source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"

usage() { sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

CONTROL_PLANE='' JOIN_TOKEN='' NAME='' SLOTS='' PULL='' MIN_FREE='' ROOT='' PREFIX=$FLEET_PREFIX_DEFAULT FORCE=no START=yes LIVE_RESTORE=no
while [ $# -gt 0 ]; do
  case "$1" in
    --control-plane) CONTROL_PLANE=${2:?--control-plane needs HOST:PORT}; shift 2 ;;
    --join-token) JOIN_TOKEN=${2:?--join-token needs a token}; shift 2 ;;
    --join-token-file) JOIN_TOKEN=$(tr -d '[:space:]' < "${2:?--join-token-file needs a file}") || die "--join-token-file: cannot read $2"; shift 2 ;;
    --name) NAME=${2:?--name needs a value}; shift 2 ;;
    --labels) die "--labels: a node's labels come from its join token (fleetctl token create --labels k=v,...) or an operator (fleetctl node label NODE k=v); the node cannot choose them" ;;
    --slots) SLOTS=${2:?--slots needs a number}; shift 2 ;;
    --image-pull) PULL=${2:?--image-pull needs missing or never}; shift 2 ;;
    --min-free-disk) MIN_FREE=${2:?--min-free-disk needs a size, e.g. 2g}; shift 2 ;;
    --docker-live-restore) LIVE_RESTORE=yes; shift ;;
    --root) ROOT=${2:?--root needs a directory}; shift 2 ;;
    --prefix) PREFIX=${2:?--prefix needs a directory}; shift 2 ;;
    --force) FORCE=yes; shift ;;
    --no-start) START=no; shift ;;
    -h|--help) usage 0 ;;
    *) printf 'unknown option: %s\n' "$1" >&2; usage 2 ;;
  esac
done

[ -n "$CONTROL_PLANE" ] || die "--control-plane HOST:PORT is required"
ENDPOINTS_RE='^[][A-Za-z0-9.:,-]+$'
[[ "$CONTROL_PLANE" =~ $ENDPOINTS_RE ]] || die "--control-plane: \"$CONTROL_PLANE\" is not HOST:PORT[,HOST:PORT...]"
[ -z "$JOIN_TOKEN" ] || [[ "$JOIN_TOKEN" =~ ^join_[0-9a-z]{19}\.[A-Za-z0-9_-]{43}\.[0-9a-f]{64}$ ]] || die "--join-token: malformed; it is ID.SECRET.CA-FINGERPRINT, as fleetctl token create prints it"
[ -z "$SLOTS" ] || [[ "$SLOTS" =~ ^[1-9][0-9]*$ ]] || die "--slots: must be a whole number of at least 1"
[ -z "$PULL" ] || [[ "$PULL" =~ ^(missing|never)$ ]] || die "--image-pull: must be missing or never"
[ -z "$MIN_FREE" ] || [[ "$MIN_FREE" =~ ^[0-9]+(\.[0-9]+)?[bkmgtBKMGT]?$ ]] || die "--min-free-disk: must be a size such as 512m or 2g"
[ -z "$NAME" ] || [[ "$NAME" =~ ^[A-Za-z0-9._-]+$ ]] || die "--name: letters, digits, . _ - only"
if [ -z "$ROOT" ] && [ "$(id -u)" -ne 0 ]; then die "run as root (sudo), or stage with --root DIR"; fi
require_node
if [ -z "$ROOT" ] && ! command -v docker >/dev/null; then say "warning: docker is not installed; the agent will report Docker unreachable until it is"; fi
if [ -z "$ROOT" ] && ! command -v git >/dev/null; then say "warning: git is not installed; Cline tasks will fail to clone until it is (apt-get install -y git)"; fi

ARGS=''
[ -z "$NAME" ] || ARGS="$ARGS --name $NAME"
[ -z "$SLOTS" ] || ARGS="$ARGS --slots $SLOTS"
[ -z "$PULL" ] || ARGS="$ARGS --image-pull $PULL"
[ -z "$MIN_FREE" ] || ARGS="$ARGS --min-free-disk $MIN_FREE"

install_tree "$ROOT" "$PREFIX"
ensure_user "$ROOT"
if [ -z "$ROOT" ] && getent group docker >/dev/null; then usermod -aG docker fleet; fi
install_config "$ROOT" node-agent.env "$(sed \
  -e "s#^FLEET_CONTROL_PLANE=.*#FLEET_CONTROL_PLANE=$CONTROL_PLANE#" \
  -e "s#^FLEET_AGENT_ARGS=.*#FLEET_AGENT_ARGS=${ARGS# }#" \
  "$REPO_DIR/installers/config/node-agent.env")" "$FORCE"
if [ -n "$JOIN_TOKEN" ]; then
  # Kept out of the env file and argv; the agent removes it once enrolled.
  STATE_DIR="$ROOT/var/lib/fleet/node-agent"
  mkdir -p "$STATE_DIR"
  chmod 700 "$STATE_DIR"
  rm -f "$STATE_DIR/join-token"   # never write through a link left in the directory
  (umask 077 && printf '%s\n' "$JOIN_TOKEN" > "$STATE_DIR/join-token")
  if [ -z "$ROOT" ]; then chown -R fleet:fleet "$ROOT/var/lib/fleet"; fi
  say "wrote the join token to $STATE_DIR/join-token (the agent deletes it once enrolled)"
fi
migrate_agent_env "$ROOT/etc/cline-fleet/node-agent.env"
install_unit "$ROOT" fleet-node-agent.service
if [ "$PREFIX" != "$FLEET_PREFIX_DEFAULT" ]; then
  sed -i "s#$FLEET_PREFIX_DEFAULT#$PREFIX#g" "$ROOT/etc/systemd/system/fleet-node-agent.service"
fi
docker_live_restore "$ROOT" "$LIVE_RESTORE"
start_unit "$ROOT" fleet-node-agent.service "$START"
