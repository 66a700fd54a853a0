#!/usr/bin/env bash
# Upgrades the fleet node agent on this machine, in place, to this checkout's build.
#
#   sudo installers/upgrade-node-agent.sh [--drain [--drain-deadline 30m]] [--wait 120]
#        [--server HOST:PORT,...] [--token-file FILE] [--ca-file FILE]
#   sudo installers/upgrade-node-agent.sh --rollback [--wait 120]
#
# 1. With --drain, drains the node through the control plane (fleetctl node
#    drain --wait): no new work; running attempts may finish until the
#    deadline, the rest are requeued elsewhere. If the drain does not
#    complete in time, nothing is upgraded and the node stays cordoned.
# 2. Swaps the installed tree in one rename (the previous one is kept at
#    PREFIX.previous) and updates the unit; settings in
#    /etc/cline-fleet/node-agent.env and the node's identity stay.
# 3. Restarts the agent: its containers keep running; the new process adopts them.
# 4. Waits up to --wait seconds (default 120) until the agent is ready again:
#    /readyz on its metrics listener (a session open with the control plane,
#    so its running containers adopted and reported, and Docker answering),
#    or its status line when metrics are off.
# 5. Uncordons the node if step 1 drained it (one cordoned before stays so).
#
# --rollback swaps the previous tree back and restarts the same way.
# Upgrade the control plane's replicas first: an agent newer than its
# control plane is refused (the wait fails with the reason and how to roll back).
# For --drain, fleetctl finds the control plane in --server, FLEET_SERVER or
# the agent's FLEET_CONTROL_PLANE; an operator's access token in --token-file
# or FLEET_TOKEN_FILE (FLEET_TOKEN works too; never on the command line);
# the fleet CA in --ca-file, FLEET_CA_FILE or the node's own identity.
# --root DIR stages the swap under DIR instead (no drain, no systemctl).
set -euo pipefail
# shellcheck source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"

usage() { sed -n '2,/^[^#]/{/^#/p}' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

DRAIN=no DEADLINE=30m WAIT=120 ROLLBACK=no ROOT='' PREFIX=$FLEET_PREFIX_DEFAULT
SERVER=${FLEET_SERVER:-} TOKEN_FILE=${FLEET_TOKEN_FILE:-} CA_FILE=${FLEET_CA_FILE:-}
while [ $# -gt 0 ]; do
  case "$1" in
    --drain) DRAIN=yes; shift ;;
    --drain-deadline) DEADLINE=${2:?--drain-deadline needs a duration, e.g. 30m}; shift 2 ;;
    --wait) WAIT=${2:?--wait needs a number of seconds}; shift 2 ;;
    --server) SERVER=${2:?--server needs HOST:PORT}; shift 2 ;;
    --token-file) TOKEN_FILE=${2:?--token-file needs a file}; shift 2 ;;
    --token) die "--token: an access token on the command line is visible to every user of this machine: use --token-file FILE (or FLEET_TOKEN_FILE)" ;;
    --ca-file) CA_FILE=${2:?--ca-file needs a file}; shift 2 ;;
    --rollback) ROLLBACK=yes; shift ;;
    --root) ROOT=${2:?--root needs a directory}; shift 2 ;;
    --prefix) PREFIX=${2:?--prefix needs a directory}; shift 2 ;;
    -h|--help) usage 0 ;;
    *) printf 'unknown option: %s\n' "$1" >&2; usage 2 ;;
  esac
done

[[ "$DEADLINE" =~ ^([1-9][0-9]*)(s|m|h)$ ]] || die "--drain-deadline: must be a duration such as 90s, 30m or 2h, got \"$DEADLINE\""
case "${BASH_REMATCH[2]}" in s) DEADLINE_S=${BASH_REMATCH[1]} ;; m) DEADLINE_S=$((BASH_REMATCH[1] * 60)) ;; h) DEADLINE_S=$((BASH_REMATCH[1] * 3600)) ;; esac
[[ "$WAIT" =~ ^[1-9][0-9]{0,4}$ ]] || die "--wait: must be a whole number of seconds from 1 to 99999, got \"$WAIT\""
ENDPOINTS_RE='^[][A-Za-z0-9.:,-]+$'
[ -z "$SERVER" ] || [[ "$SERVER" =~ $ENDPOINTS_RE ]] || die "--server: \"$SERVER\" is not HOST:PORT[,HOST:PORT...]"
[[ "$PREFIX" =~ ^/[A-Za-z0-9._/-]+$ ]] || die "--prefix: must be an absolute path, got \"$PREFIX\""
if [ "$DRAIN" = yes ]; then
  [ -z "$ROOT" ] || die "--drain: not with --root (staging does not touch the running fleet)"
  if [ -z "$TOKEN_FILE" ] && [ -z "${FLEET_TOKEN:-}" ]; then
    die "--drain: needs an operator's access token to drain and uncordon the node: --token-file FILE (or FLEET_TOKEN_FILE); fleetctl access-token create makes one"
  fi
  [ -z "$TOKEN_FILE" ] || [ -r "$TOKEN_FILE" ] || die "--token-file: cannot read $TOKEN_FILE"
fi
[ -z "$CA_FILE" ] || [ -r "$CA_FILE" ] || die "--ca-file: cannot read $CA_FILE"
if [ -z "$ROOT" ] && [ "$(id -u)" -ne 0 ]; then die "run as root (sudo), or stage with --root DIR"; fi
require_node

UNIT=fleet-node-agent.service
TARGET="$ROOT$PREFIX"
ENV_FILE="$ROOT/etc/cline-fleet/node-agent.env"
if [ ! -f "$ENV_FILE" ] || [ ! -d "$TARGET" ]; then die "no node agent is installed here ($ENV_FILE, $TARGET): install one with installers/install-node-agent.sh"; fi
if [ "$ROLLBACK" = yes ] && [ ! -d "$TARGET.previous" ]; then die "--rollback: there is no previous tree at $TARGET.previous"; fi

# The last value of a setting in the env file ("" when unset).
env_value() { sed -n "s/^$1=//p" "$ENV_FILE" | tail -n 1; }
agent_version() { sed -n "s/^export const FLEET_VERSION = '\(.*\)';\$/\1/p" "$1/dist/common/version.js" 2>/dev/null || true; }
# Builds before the node protocol was numbered speak protocol 1.
node_protocol() {
  local p
  p=$(sed -n 's/^export const AGENT_PROTOCOL = \([0-9]*\);$/\1/p' "$1/dist/common/protocol.js" 2>/dev/null || true)
  echo "${p:-1}"
}

DATA_DIR=$(env_value FLEET_DATA_DIR)
DATA_DIR="$ROOT${DATA_DIR:-/var/lib/fleet/node-agent}"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# fleetctl from the tree installed at that moment (the old one to drain, the new one to uncordon);
# the token by its file (or FLEET_TOKEN from the environment), never in argv.
fleetctl_argv() {
  FLEETCTL=(node "$TARGET/dist/cli/src/main.js" --server "$SERVER" --ca-file "$CA_FILE")
  [ -z "$TOKEN_FILE" ] || FLEETCTL+=(--token-file "$TOKEN_FILE")
}
fleetctl() {
  fleetctl_argv
  "${FLEETCTL[@]}" "$@"
}

# What the control plane says of this node: STATUS,cordoned|drained|draining|free,AGENT_VERSION
node_facts() {
  # shellcheck disable=SC2016 # JavaScript, not shell
  fleetctl node list -o json | node -e '
    let text = ""; process.stdin.on("data", (d) => (text += d)).on("end", () => {
      const n = JSON.parse(text).find((x) => x.id === process.argv[1]);
      if (!n) { process.stderr.write(`node ${process.argv[1]} is not in fleetctl node list\n`); process.exit(1); }
      const held = n.drain && n.drain.state === "DRAINING" ? "draining" : n.drain && n.drain.state === "DRAINED" ? "drained" : n.cordoned ? "cordoned" : "free";
      console.log([n.status, held, n.agentVersion].join(","));
    });' "$NODE_ID"
}

NODE_ID='' DRAINED_HERE=no
if [ -z "$ROOT" ]; then
  [ -f "$DATA_DIR/identity.json" ] || die "$DATA_DIR/identity.json is missing: this agent has not enrolled yet; there is nothing to drain or adopt (run installers/install-node-agent.sh)"
  NODE_ID=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).nodeId)' "$DATA_DIR/identity.json")
  [[ "$NODE_ID" =~ ^node_[0-9a-z]+$ ]] || die "$DATA_DIR/identity.json: no node id in it"
fi

if [ "$DRAIN" = yes ]; then
  [ -n "$SERVER" ] || SERVER=$(env_value FLEET_CONTROL_PLANE)
  [ -n "$SERVER" ] || die "--server: no control plane given, and FLEET_CONTROL_PLANE is not set in $ENV_FILE"
  if [ -z "$CA_FILE" ]; then
    # The fleet CA this node pinned at enrollment.
    CA_FILE="$WORK/fleet-ca.crt"
    node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).caPem)' "$DATA_DIR/identity.json" > "$CA_FILE"
  fi
  FACTS=$(node_facts) || die "cannot read node $NODE_ID from the control plane at $SERVER (see above); nothing was changed"
  case "$FACTS" in
    *,free,*) ;;
    *,draining,*|*,drained,*) say "node $NODE_ID is already draining or drained: it will be left so after the upgrade" ;;
    *) say "node $NODE_ID is cordoned: it will be left cordoned after the upgrade" ;;
  esac
  say "draining node $NODE_ID: no new work; running attempts may finish within $DEADLINE, the rest are requeued elsewhere"
  rc=0
  # fleetctl rides out a control-plane replica's restart; the timeout bounds the whole drain.
  fleetctl_argv
  timeout "$((DEADLINE_S + 120))" "${FLEETCTL[@]}" node drain "$NODE_ID" --deadline "$DEADLINE" --wait >&2 || rc=$?
  if [ "$rc" -ne 0 ]; then
    die "the drain of node $NODE_ID did not complete$([ "$rc" -eq 124 ] && echo " within $DEADLINE plus 2 minutes"): nothing was upgraded and the node stays cordoned; see fleetctl node list, then run this again, or put it back to work with fleetctl node uncordon $NODE_ID"
  fi
  case "$FACTS" in *,free,*) DRAINED_HERE=yes ;; esac
fi

FROM="$(agent_version "$TARGET") (node protocol $(node_protocol "$TARGET"))"
if [ "$ROLLBACK" = yes ]; then
  # The previous tree comes back; the one rolled back from becomes the previous (to roll forward again).
  mv "$TARGET" "$TARGET.rollback.$$"
  mv "$TARGET.previous" "$TARGET"
  mv "$TARGET.rollback.$$" "$TARGET.previous"
  say "rolled $TARGET back; the tree rolled back from is at $TARGET.previous"
else
  install_tree "$ROOT" "$PREFIX" yes
  install_unit "$ROOT" "$UNIT"
  if [ "$PREFIX" != "$FLEET_PREFIX_DEFAULT" ]; then
    sed -i "s#$FLEET_PREFIX_DEFAULT#$PREFIX#g" "$ROOT/etc/systemd/system/$UNIT"
  fi
  migrate_agent_env "$ENV_FILE"
fi
TO="$(agent_version "$TARGET") (node protocol $(node_protocol "$TARGET"))"
say "node agent $FROM -> $TO"

if [ -n "$ROOT" ]; then
  say "staged under $ROOT; not restarting $UNIT"
  exit 0
fi
[ -d /run/systemd/system ] || die "systemd is not running here: restart the agent with your init system (its containers keep running)"

# Where the agent serves /readyz: FLEET_METRICS_LISTEN, or --metrics-listen among its flags, or the default.
METRICS=$(env_value FLEET_METRICS_LISTEN)
ARGS=$(env_value FLEET_AGENT_ARGS)
if [[ " $ARGS " =~ \ --metrics-listen[=\ ]([^ ]+)\  ]]; then METRICS=${BASH_REMATCH[1]}; fi
METRICS=${METRICS:-127.0.0.1:7702}
case "$METRICS" in
  0.0.0.0:*) METRICS="127.0.0.1:${METRICS#0.0.0.0:}" ;;
  \[::\]:*) METRICS="[::1]:${METRICS#\[::\]:}" ;;
esac

status_line() { systemctl show -p StatusText --value "$UNIT" 2>/dev/null || true; }
ready() {
  [ "$(systemctl show -p ActiveState --value "$UNIT")" = active ] || return 1
  if [ "$METRICS" = off ]; then
    [[ "$(status_line)" == *": session connected,"* ]]
  else
    # shellcheck disable=SC2016 # JavaScript, not shell
    node -e 'fetch(`http://${process.argv[1]}/readyz`, { signal: AbortSignal.timeout(3000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$METRICS"
  fi
}
ROLLBACK_HINT="roll back with: $0 --rollback"
[ "$ROLLBACK" = no ] || ROLLBACK_HINT="the tree rolled back from is at $TARGET.previous"
HELD=''
[ "$DRAIN" = no ] || HELD="; node $NODE_ID stays cordoned (it was drained): fleetctl node uncordon $NODE_ID once the agent is healthy"

systemctl daemon-reload
STARTED=$(date +%s)
say "restarting $UNIT: its containers keep running and the new process adopts them"
# Type=notify: this returns once the new process says READY=1 (its journal open, Docker asked, the first session attempt made).
timeout "$WAIT" systemctl restart "$UNIT" || say "$UNIT did not say it was ready within ${WAIT}s; still waiting for it"
until ready; do
  STATUS=$(status_line)
  case "$STATUS" in
    *"refused by the control plane"*) die "the control plane refuses the new agent: ${STATUS#*refused by the control plane: }; $ROLLBACK_HINT$HELD" ;;
  esac
  if [ "$(($(date +%s) - STARTED))" -ge "$WAIT" ]; then
    die "the agent is not ready ${WAIT}s after its restart (${STATUS:-no status}): see journalctl -u $UNIT; $ROLLBACK_HINT$HELD"
  fi
  sleep 1
done
say "the agent is back after $(($(date +%s) - STARTED))s: $(status_line)"

if [ "$DRAIN" = yes ]; then
  FACTS=$(node_facts) || die "cannot read node $NODE_ID from the control plane after the upgrade$HELD"
  case "$FACTS" in READY,*) ;; *) die "the control plane does not see node $NODE_ID ready yet ($FACTS)$HELD" ;; esac
  if [ "$DRAINED_HERE" = yes ]; then
    fleetctl node uncordon "$NODE_ID" >&2
    say "node $NODE_ID is back to work"
  fi
fi
say "upgraded: node agent $TO"
