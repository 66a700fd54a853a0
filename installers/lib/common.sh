# Shared by the install scripts. Sourced, not run.
# shellcheck shell=bash

FLEET_PREFIX_DEFAULT=/opt/cline-fleet
REPO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

require_node() {
  command -v node >/dev/null || die "Node.js 20 or newer is required (apt-get install -y nodejs, or your distribution's Node 20 package)"
  local major
  major=$(node -p 'process.versions.node.split(".")[0]')
  [ "$major" -ge 20 ] || die "Node.js 20 or newer is required; found $(node --version)"
}

# Builds the checkout if needed and copies what runs into $ROOT$PREFIX.
# With KEEP=yes the tree it replaces is kept at $ROOT$PREFIX.previous (one
# generation) for a rollback; otherwise it is removed.
install_tree() {
  local root=$1 prefix=$2 keep=${3:-no}
  if [ ! -f "$REPO_DIR/dist/node-agent/src/main.js" ] || [ ! -d "$REPO_DIR/node_modules" ]; then
    say "building the checkout (npm ci, npm run build)"
    (cd "$REPO_DIR" && npm ci --no-audit --no-fund && npm run build) >&2
  fi
  local target="$root$prefix"
  local staging="$target.new.$$"
  say "installing into $target"
  mkdir -p "$staging"
  cp -a "$REPO_DIR/package.json" "$REPO_DIR/package-lock.json" "$REPO_DIR/dist" "$REPO_DIR/proto" "$staging/"
  # node_modules by its contents, also where it is a link (a git worktree's): the prune below
  # must work on the copy, never on the directory a link points at.
  mkdir "$staging/node_modules"
  cp -a "$REPO_DIR/node_modules/." "$staging/node_modules/"
  (cd "$staging" && npm prune --omit=dev --no-audit --no-fund >/dev/null 2>&1) || say "npm prune failed; dev dependencies stay installed"
  # Swap in one rename so a running service never sees half a tree.
  if [ -d "$target" ]; then mv "$target" "$target.old.$$"; fi
  mv "$staging" "$target"
  if [ "$keep" = yes ] && [ -d "$target.old.$$" ]; then
    rm -rf "$target.previous"
    mv "$target.old.$$" "$target.previous"
    say "kept the previous tree at $target.previous"
  else
    rm -rf "$target.old.$$"
  fi
}

# An agent env file kept from an older install: the agent no longer takes
# --labels (it would refuse to start), and reads its join token from a file,
# not from FLEET_JOIN_TOKEN.
migrate_agent_env() {
  local env_file=$1
  if grep -q '^FLEET_AGENT_ARGS=.*--labels' "$env_file"; then
    sed -i -E '/^FLEET_AGENT_ARGS=/ { s/ --labels[ =][^ ]+//g; s/=--labels[ =][^ ]+ ?/=/ }' "$env_file"
    say "removed --labels from FLEET_AGENT_ARGS in $env_file: labels come from the join token (fleetctl token create --labels) or fleetctl node label"
  fi
  if grep -q '^FLEET_JOIN_TOKEN=' "$env_file"; then
    sed -i -E 's#^FLEET_JOIN_TOKEN=.*#FLEET_JOIN_TOKEN_FILE=/var/lib/fleet/node-agent/join-token#' "$env_file"
    say "$env_file: FLEET_JOIN_TOKEN replaced by FLEET_JOIN_TOKEN_FILE (the token no longer sits in the env file)"
  fi
}

ensure_user() {
  local root=$1
  if [ -n "$root" ]; then return; fi
  if ! id fleet >/dev/null 2>&1; then
    say "creating system user fleet"
    useradd --system --home-dir /var/lib/fleet --shell /usr/sbin/nologin --user-group fleet
  fi
}

# install_config ROOT NAME CONTENT: writes /etc/cline-fleet/NAME once; an upgrade keeps the operator's settings.
install_config() {
  local root=$1 name=$2 content=$3 force=$4
  local path="$root/etc/cline-fleet/$name"
  mkdir -p "$(dirname "$path")"
  if [ -f "$path" ] && [ "$force" != yes ]; then
    say "keeping existing $path (use --force to replace it)"
    return
  fi
  (umask 077 && printf '%s\n' "$content" > "$path")
  say "wrote $path"
}

install_unit() {
  local root=$1 unit=$2
  mkdir -p "$root/etc/systemd/system"
  install -m 0644 "$REPO_DIR/installers/systemd/$unit" "$root/etc/systemd/system/$unit"
  say "installed $root/etc/systemd/system/$unit"
}

start_unit() {
  local root=$1 unit=$2 start=$3
  if [ -n "$root" ] || [ "$start" != yes ]; then
    say "not starting $unit; start it with: systemctl daemon-reload && systemctl enable --now $unit"
    return
  fi
  if [ ! -d /run/systemd/system ]; then
    say "systemd is not running here; start $unit with your init system"
    return
  fi
  systemctl daemon-reload
  systemctl enable "$unit" >/dev/null
  # Type=notify: the restart returns once the daemon says it is ready. An agent
  # enrolling waits for its control plane, so the wait is bounded here.
  say "starting $unit (waiting up to ${FLEET_START_WAIT:-90}s for it to be ready)"
  local rc=0
  timeout "${FLEET_START_WAIT:-90}" systemctl restart "$unit" || rc=$?
  local status
  status=$(systemctl show -p StatusText --value "$unit" 2>/dev/null || true)
  if [ "$rc" -eq 0 ]; then
    say "$unit is ready${status:+: $status}; follow it with: journalctl -u $unit -f"
  elif [ "$rc" -eq 124 ]; then
    say "$unit is still starting${status:+ ($status)}; follow it with: journalctl -u $unit -f"
  else
    die "$unit did not start: see systemctl status $unit and journalctl -u $unit"
  fi
}

# Docker's live-restore keeps containers running while dockerd restarts (an
# upgrade of docker.io): the agent then adopts them instead of retrying them.
# With "yes", sets it in daemon.json (other settings kept) and reloads dockerd;
# otherwise only says when it is off.
docker_live_restore() {
  local root=$1 enable=$2 file="$1/etc/docker/daemon.json"
  if [ "$enable" = yes ]; then
    mkdir -p "$(dirname "$file")"
    node -e '
      const fs = require("fs"); const file = process.argv[1];
      const now = fs.existsSync(file) && fs.readFileSync(file, "utf8").trim() ? JSON.parse(fs.readFileSync(file, "utf8")) : {};
      now["live-restore"] = true;
      fs.writeFileSync(file + ".new", JSON.stringify(now, null, 2) + "\n"); fs.renameSync(file + ".new", file);
    ' "$file" || die "cannot update $file: is it valid JSON?"
    say "set \"live-restore\": true in $file"
    if [ -z "$root" ]; then
      if command -v systemctl >/dev/null && systemctl is-active --quiet docker; then systemctl reload docker
      elif pidof dockerd >/dev/null; then kill -HUP "$(pidof dockerd)"
      fi
    fi
    return
  fi
  if ! node -e 'const j = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); process.exit(j["live-restore"] === true ? 0 : 1)' "$file" 2>/dev/null; then
    say "warning: Docker's live-restore is off ($file): restarting dockerd (an upgrade of docker.io) stops every running attempt, and they are retried; run this again with --docker-live-restore, or set \"live-restore\": true there and reload dockerd"
  fi
}
