#!/usr/bin/env bash
# The main job on one machine: sets everything up (scripts/setup.sh), then
# runs a local fleet on the embedded default: a control plane with its own
# nats-server and one node agent, tokens wired, fleetctl ready. It runs a
# first task to show the path works, then stays up until Ctrl-C.
#
#   scripts/demo.sh            # state under ./.fleet, control plane on 127.0.0.1:7700
#   FLEET_DEMO_PORT=7800 scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
STATE=${FLEET_DEMO_DIR:-$ROOT/.fleet}
PORT=${FLEET_DEMO_PORT:-7700}
SERVER=127.0.0.1:$PORT

bash scripts/setup.sh
mkdir -p "$STATE"
pids=()
cleanup() {
  trap - EXIT INT TERM
  echo >&2
  echo "==> stopping the local fleet (containers of running attempts are left for the agent's next start)" >&2
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

# wait_for_log FILE MESSAGE PID: until the JSON log has the message, or the process died.
wait_for_log() {
  for _ in $(seq 1 100); do
    grep -q "\"msg\":\"$2\"" "$1" 2>/dev/null && return 0
    kill -0 "$3" 2>/dev/null || { tail -5 "$1" >&2; exit 1; }
    sleep 0.2
  done
  echo "error: no \"$2\" in $1 after 20s" >&2
  exit 1
}

echo "==> starting the control plane on $SERVER (embedded nats-server, state in $STATE/control-plane)" >&2
node dist/control-plane/src/main.js --listen "$SERVER" --data-dir "$STATE/control-plane" >>"$STATE/control-plane.log" 2>&1 &
pids+=($!)
wait_for_log "$STATE/control-plane.log" "control plane ready" "${pids[0]}"
# Everything between the processes is TLS: the control plane made a fleet CA
# on its first start; fleetctl verifies the server against it, and the join
# token pins it for the agent.
export FLEET_SERVER=$SERVER
export FLEET_TOKEN_FILE=$STATE/control-plane/admin.token
export FLEET_CA_FILE=$STATE/control-plane/tls/ca.crt
fleetctl() { node "$ROOT/dist/cli/src/main.js" "$@"; }

# The join token goes in a file only we can read, never in argv (ps shows argv to every user);
# it carries the node's labels, and the agent deletes it once enrolled.
JOIN_ARGS=()
if [ ! -f "$STATE/node-agent/identity.json" ]; then
  mkdir -p "$STATE/node-agent" && chmod 700 "$STATE/node-agent"
  (umask 077 && fleetctl token create --ttl 10m --labels demo=true 2>/dev/null >"$STATE/node-agent/join-token")
  JOIN_ARGS=(--join-token-file "$STATE/node-agent/join-token")
fi
echo "==> starting a node agent (state in $STATE/node-agent)" >&2
node dist/node-agent/src/main.js --control-plane "$SERVER" "${JOIN_ARGS[@]}" \
  --data-dir "$STATE/node-agent" --name "$(hostname -s)" --image-pull never >>"$STATE/node-agent.log" 2>&1 &
pids+=($!)
wait_for_log "$STATE/node-agent.log" "control plane session open" "${pids[1]}"

echo "==> running a first task" >&2
fleetctl task submit --image fleet-test/busybox:1 --wait -- sh -c 'echo "hello from $(hostname) in the fleet"'
fleetctl node list

cat >&2 <<TXT

The fleet is up. In another shell:

  export FLEET_SERVER=$SERVER FLEET_TOKEN_FILE=$FLEET_TOKEN_FILE FLEET_CA_FILE=$FLEET_CA_FILE
  alias fleetctl='node $ROOT/dist/cli/src/main.js'
  fleetctl task submit --image fleet-test/busybox:1 --wait -- sh -c 'echo hi; sleep 2'
  fleetctl task list
  fleetctl task logs TASK_ID --follow
  fleetctl access-token create alice --role submitter   # named, scoped tokens; the bootstrap one is admin
  fleetctl audit --since 1h                             # who changed what

Cline on a repository, with any OpenAI-compatible provider (the key stays out of containers):

  fleetctl provider set default --base-url https://api.example.com/v1 --model MODEL --api-key-file KEYFILE
  fleetctl task submit --agent cline --repo https://git.example.com/app.git#main --prompt "Fix the tests" --wait
  fleetctl task result TASK_ID --patch fix.patch

Logs: $STATE/control-plane.log, $STATE/node-agent.log. Ctrl-C stops the fleet.
TXT
wait
