#!/usr/bin/env bash
# Checks the monitoring files in installers/monitoring/:
# - alerts.yml: `promtool check rules` (syntax, templates, lint);
# - alerts.test.yml: `promtool test rules` (every alert fires and stays quiet when it should);
# - grafana-dashboard.json: every panel's PromQL parses (promtool, through a
#   throw-away rule file) and no datasource is hard-coded;
# - every alert's runbook_url is a section of docs/alerts.md;
# - rules, tests and dashboard name only metrics the daemons export (as the
#   built programs register them).
# Needs promtool (Debian: the prometheus package), node and the build (dist/). Light: no Docker.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=installers/monitoring

fail() { printf 'error: %s\n' "$*" >&2; exit 1; }
say() { printf '==> %s\n' "$*"; }

command -v promtool >/dev/null 2>&1 || fail "promtool is not installed. On Debian: apt-get install -y --no-install-recommends prometheus
(or run scripts/setup.sh, which installs it; on a machine under systemd the package also starts a Prometheus server:
'systemctl disable --now prometheus' if you do not want it). Elsewhere: promtool comes in the Prometheus release tarball,
https://prometheus.io/download/"
command -v node >/dev/null 2>&1 || fail "node is not installed (Node.js 20: see the README's Quickstart)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

say "promtool check rules $dir/alerts.yml"
promtool check rules "$dir/alerts.yml"

say "promtool test rules $dir/alerts.test.yml"
promtool test rules "$dir/alerts.test.yml"

say "checking $dir/grafana-dashboard.json"
# Each query of the dashboard (panels and variables), with Grafana's variables
# replaced by what Prometheus would get, as a recording rule of a throw-away
# rule file (promtool parses PromQL only there), and one a line in queries.txt.
node - "$dir/grafana-dashboard.json" "$work" <<'JS'
const fs = require('node:fs');
const [file, work] = process.argv.slice(2);
const d = JSON.parse(fs.readFileSync(file, 'utf8'));
const problems = [];
if (d.schemaVersion !== 39) problems.push(`schemaVersion is ${d.schemaVersion}, not 39`);
const vars = d.templating?.list ?? [];
const ds = vars.find((v) => v.name === 'datasource');
if (!ds || ds.type !== 'datasource' || ds.query !== 'prometheus') problems.push('no ${datasource} variable of type datasource (prometheus)');
const queries = [];
const uses = (where, datasource) => {
  // Only the ${datasource} variable, never the uid of one installation.
  const uid = typeof datasource === 'string' ? datasource : datasource?.uid;
  if (uid !== '${datasource}') problems.push(`${where}: datasource ${JSON.stringify(datasource)}, not \${datasource}`);
};
const panels = (d.panels ?? []).flatMap((p) => [p, ...(p.panels ?? [])]);
for (const p of panels) {
  if (p.type === 'row') continue;
  const where = `panel ${p.id} "${p.title}"`;
  uses(where, p.datasource);
  if (!p.targets?.length) problems.push(`${where}: no query`);
  for (const t of p.targets ?? []) {
    uses(`${where} ${t.refId}`, t.datasource);
    if (!t.expr) problems.push(`${where} ${t.refId}: empty expr`);
    else queries.push([`${where} ${t.refId}`, t.expr]);
  }
}
for (const v of vars) {
  if (v.type !== 'query') continue;
  uses(`variable ${v.name}`, v.datasource);
  const q = typeof v.query === 'string' ? v.query : v.query?.query;
  // label_values(METRIC, label): the metric selector is the PromQL part.
  const m = /^label_values\((.+),\s*\w+\)$/.exec(q ?? '');
  if (!m) problems.push(`variable ${v.name}: query ${JSON.stringify(q)} is not label_values(…)`);
  else queries.push([`variable ${v.name}`, m[1]]);
}
const rules = ['groups:', '  - name: dashboard', '    rules:'];
const lines = [];
for (const [where, expr] of queries) {
  const q = expr.replaceAll('$__rate_interval', '5m').replaceAll('$__interval', '1m').replaceAll('$__range', '6h').replaceAll('$agent', '.*');
  if (q.includes('$')) problems.push(`${where}: a variable this script does not replace: ${expr}`);
  rules.push(`      - record: dashboard:query_${lines.length + 1}  # ${where.replace(/[\r\n]/g, ' ')}`, `        expr: ${JSON.stringify(q)}`);
  lines.push(q.replace(/\s+/g, ' '));
}
if (problems.length) {
  console.error(problems.map((p) => `error: ${file}: ${p}`).join('\n'));
  process.exit(1);
}
fs.writeFileSync(`${work}/dashboard-rules.yml`, rules.join('\n') + '\n');
fs.writeFileSync(`${work}/queries.txt`, lines.join('\n') + '\n');
JS
promtool check rules --lint=none "$work/dashboard-rules.yml" >"$work/check.out" 2>&1 || {
  cat "$work/check.out" >&2
  grep -n . "$work/dashboard-rules.yml" >&2
  fail "a query of $dir/grafana-dashboard.json does not parse (promtool's message and the rules it read are above)"
}
echo "  SUCCESS: $(wc -l <"$work/queries.txt") dashboard queries parse"

say "checking runbook links"
# Each runbook_url names a section of docs/alerts.md (GitHub's anchor: the heading in lower case).
anchors=$(sed -n 's/^##* \(.*\)$/\1/p' docs/alerts.md | tr 'A-Z ' 'a-z-' | tr -cd 'a-z0-9_\n-')
missing_anchor=0
for url in $(grep -oE 'runbook_url: *[^ ]+' "$dir/alerts.yml" | sed 's/runbook_url: *//' | sort -u); do
  [ "${url%%#*}" = docs/alerts.md ] || { echo "error: $dir/alerts.yml: runbook_url $url is not docs/alerts.md#…" >&2; missing_anchor=1; continue; }
  grep -qxF "${url#*#}" <<<"$anchors" || { echo "error: $dir/alerts.yml: runbook_url $url: no such section in docs/alerts.md" >&2; missing_anchor=1; }
done
for alert in $(grep -oE 'alert: *[A-Za-z]+' "$dir/alerts.yml" | sed 's/alert: *//' | sort -u); do
  grep -q "runbook_url: docs/alerts.md#$(tr 'A-Z' 'a-z' <<<"$alert")\$" "$dir/alerts.yml" ||
    { echo "error: $dir/alerts.yml: $alert has no runbook_url to docs/alerts.md#$(tr 'A-Z' 'a-z' <<<"$alert")" >&2; missing_anchor=1; }
done
[ "$missing_anchor" -eq 0 ] || fail "runbook links broken (above)"
echo "  SUCCESS: every alert links to its section of docs/alerts.md"

say "checking metric names"
# Every name the daemons register, asked of the built programs themselves
# (histograms by their base name), so that the list cannot drift from the code.
[ -f dist/control-plane/src/metrics.js ] && [ -f dist/node-agent/src/metrics.js ] || fail "dist/ is missing: npm run build first"
exported=$(node --input-type=module -e '
  const { newRegistry } = await import("./dist/common/metrics.js");
  const { ControlPlaneMetrics, INERT_VIEWS } = await import("./dist/control-plane/src/metrics.js");
  const { AgentMetrics, INERT_SOURCES } = await import("./dist/node-agent/src/metrics.js");
  const cp = newRegistry();
  new ControlPlaneMetrics(cp, INERT_VIEWS);
  const agent = newRegistry();
  new AgentMetrics(agent, "0.0.0", INERT_SOURCES);
  const all = [...cp.getMetricsAsArray(), ...agent.getMetricsAsArray()];
  console.log([...new Set(all.map((m) => m.name))].join(" "));
  console.log([...new Set(all.filter((m) => m.type === "histogram").map((m) => m.name))].join(" "));
')
known=" $(sed -n 1p <<<"$exported") "
histograms=" $(sed -n 2p <<<"$exported") "
unknown=0
check_names() { # FILE: the text to search, as it is named in messages
  local name base
  for name in $(grep -oE 'fleet_[a-z0-9_]+' | sort -u); do
    base=$name
    case $name in *_bucket | *_sum | *_count)
      base=${name%_*}
      [[ " $histograms " == *[[:space:]]"$base"[[:space:]]* ]] || base=$name ;;
    esac
    if [[ " $known " != *[[:space:]]"$base"[[:space:]]* ]]; then
      printf 'error: %s: %s is not a metric the daemons export\n' "$1" "$name" >&2
      unknown=1
    fi
  done
}
check_names "$dir/alerts.yml" < <(grep -v '^[[:space:]]*#' "$dir/alerts.yml")
check_names "$dir/alerts.test.yml" < <(grep -E "^\s*- series:" "$dir/alerts.test.yml")
check_names "$dir/grafana-dashboard.json" <"$work/queries.txt"
[ "$unknown" -eq 0 ] || fail "unknown metric names (above): fix the typo, or add the metric to the daemon"
echo "  SUCCESS: only exported metric names"
say "monitoring checks passed"
