/**
 * The installers: the systemd units pass `systemd-analyze verify`, and the
 * node-agent installer, staged into a scratch root, lays out a tree that runs,
 * a config only root can read, and keeps that config on upgrade.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { nkeys } from '@nats-io/nats-core';
import { makeNatsCertificates, renderExampleConf } from '../test/harness/nats.js';
import { ROOT } from '../test/harness/requirements.js';

const UNITS = ['fleet-node-agent.service', 'fleet-control-plane.service'];

test('the systemd units pass systemd-analyze verify', (t) => {
  const probe = spawnSync('systemd-analyze', ['--version']);
  if (probe.error) t.fail('systemd-analyze is missing: apt-get install -y systemd (it runs here without systemd as PID 1)');
  for (const unit of UNITS) {
    const result = spawnSync('systemd-analyze', ['verify', join(ROOT, 'installers/systemd', unit)], { encoding: 'utf8' });
    t.is(result.status, 0, `${unit}: ${result.stderr}`);
    t.is(result.stderr.trim(), '', `${unit} has warnings`);
  }
});

test('the three-node example: the replica template unit verifies and the nats configs parse', (t) => {
  const dir = join(ROOT, 'installers/examples/three-node');
  const unit = spawnSync('systemd-analyze', ['verify', join(dir, 'fleet-control-plane@.service')], { encoding: 'utf8' });
  t.is(unit.status, 0);
  t.is(unit.stderr.trim(), '', 'the template unit has warnings');
  const scratch = mkdtempSync(join(tmpdir(), 'fleet-nats-conf-'));
  try {
    // The operator replaces the control plane's nkey and provides the certificates; so does this check.
    makeNatsCertificates(join(scratch, 'tls'));
    const nodes = [1, 2, 3].map((i) => ({ name: `nats-${i}`, port: 4222 + i, clusterPort: 6222 + i, url: '', process: undefined }));
    for (const i of [1, 2, 3]) {
      const conf = readFileSync(join(dir, `nats-${i}.conf`), 'utf8');
      // Debian 12's nats-server (2.9) predates sync_interval, which production needs: the rendering drops it.
      t.regex(conf, /^\s*sync_interval: always$/m);
      t.regex(conf, /^\s*verify: true$/m, 'routes are mutual TLS');
      writeFileSync(join(scratch, 'nats.conf'), renderExampleConf(i, nodes, scratch, nkeys.createUser().getPublicKey()));
      const check = spawnSync('nats-server', ['-t', '-c', join(scratch, 'nats.conf')], { encoding: 'utf8' });
      t.is(check.status, 0, `nats-${i}.conf: ${check.stderr}`);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
});

test('units run as the dedicated user with a stop timeout and restart policy', (t) => {
  for (const unit of UNITS) {
    const text = readFileSync(join(ROOT, 'installers/systemd', unit), 'utf8');
    t.regex(text, /^User=fleet$/m);
    t.regex(text, /^Restart=always$/m);
    t.regex(text, /^TimeoutStopSec=\S+$/m);
    t.regex(text, /^NoNewPrivileges=yes$/m);
    t.regex(text, /^CapabilityBoundingSet=$/m);
  }
});

function install(args: string[]) {
  return spawnSync('bash', [join(ROOT, 'installers/install-node-agent.sh'), ...args], { encoding: 'utf8' });
}

test('install-node-agent.sh stages a runnable agent and keeps its config on upgrade', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'fleet-install-'));
  try {
    const token = `join_${'a'.repeat(19)}.${'B'.repeat(43)}.${'c'.repeat(64)}`;
    const tokenFile = join(root, 'given-token');
    writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
    const first = install(['--root', root, '--control-plane', '10.0.0.1:7700,10.0.0.2:7700', '--join-token-file', tokenFile, '--name', 'zone-a-1', '--slots', '3']);
    t.is(first.status, 0, first.stderr);
    const env = join(root, 'etc/cline-fleet/node-agent.env');
    const text = readFileSync(env, 'utf8');
    t.regex(text, /^FLEET_CONTROL_PLANE=10\.0\.0\.1:7700,10\.0\.0\.2:7700$/m);
    t.false(text.includes(token), 'the join token is not in the env file');
    t.regex(text, /^FLEET_JOIN_TOKEN_FILE=\/var\/lib\/fleet\/node-agent\/join-token$/m);
    const staged = join(root, 'var/lib/fleet/node-agent/join-token');
    t.is(readFileSync(staged, 'utf8'), `${token}\n`);
    t.is(statSync(staged).mode & 0o777, 0o600, 'the join token is readable by its owner only');
    t.is(statSync(join(root, 'var/lib/fleet/node-agent')).mode & 0o777, 0o700);
    t.regex(text, /^FLEET_AGENT_ARGS=--name zone-a-1 --slots 3$/m);
    t.is(statSync(env).mode & 0o777, 0o600);
    const unit = readFileSync(join(root, 'etc/systemd/system/fleet-node-agent.service'), 'utf8');
    t.regex(unit, /ExecStart=\/usr\/bin\/node \/opt\/cline-fleet\/dist\/node-agent\/src\/main\.js \$FLEET_AGENT_ARGS/);
    const help = spawnSync(process.execPath, [join(root, 'opt/cline-fleet/dist/node-agent/src/main.js'), '--help'], { encoding: 'utf8' });
    t.is(help.status, 0, help.stderr);
    t.regex(help.stdout, /--join-token/);

    t.regex(first.stderr, /warning: Docker's live-restore is off \(.*etc\/docker\/daemon\.json\): restarting dockerd .* run this again with --docker-live-restore/);

    // An env file as an older installer wrote it: labels on the agent, the token in the file.
    writeFileSync(env, text.replace('zone-a-1', 'zone-edited').replace('FLEET_JOIN_TOKEN_FILE=/var/lib/fleet/node-agent/join-token', `FLEET_JOIN_TOKEN=${token}`).replace('FLEET_AGENT_ARGS=--name', 'FLEET_AGENT_ARGS=--labels zone=a --name'));
    const daemonJson = join(root, 'etc/docker/daemon.json');
    mkdirSync(join(root, 'etc/docker'), { recursive: true });
    writeFileSync(daemonJson, JSON.stringify({ 'log-driver': 'json-file' }));
    const upgrade = install(['--root', root, '--control-plane', '10.0.0.9:7700', '--docker-live-restore']);
    t.is(upgrade.status, 0, upgrade.stderr);
    t.regex(upgrade.stderr, /keeping existing/);
    const upgraded = readFileSync(env, 'utf8');
    t.regex(upgraded, /zone-edited/, "an upgrade keeps the operator's settings");
    t.regex(upgraded, /^FLEET_AGENT_ARGS=--name zone-edited --slots 3$/m, 'less the --labels the new agent refuses');
    t.regex(upgraded, /^FLEET_JOIN_TOKEN_FILE=\/var\/lib\/fleet\/node-agent\/join-token$/m);
    t.false(upgraded.includes(token), 'and without the token');
    t.deepEqual(JSON.parse(readFileSync(daemonJson, 'utf8')), { 'log-driver': 'json-file', 'live-restore': true }, "live-restore is set, Docker's other settings kept");
    t.notRegex(upgrade.stderr, /live-restore is off/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('install-node-agent.sh refuses bad input, naming the flag, and installs nothing', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'fleet-install-'));
  try {
    const cases: Array<[string[], RegExp]> = [
      [[], /--control-plane HOST:PORT is required/],
      [['--control-plane', 'host:1', '--slots', '0'], /--slots: must be a whole number of at least 1/],
      [['--control-plane', 'a b'], /--control-plane: "a b" is not HOST:PORT/],
      [['--control-plane', 'host:1', '--image-pull', 'always'], /--image-pull: must be missing or never/],
      [['--control-plane', 'host:1', '--labels', 'zone=a'], /--labels: a node's labels come from its join token/],
      [['--control-plane', 'host:1', '--min-free-disk', 'lots'], /--min-free-disk: must be a size such as 512m or 2g/],
      [['--control-plane', 'host:1', '--join-token', 'join_abc.def'], /--join-token: malformed; it is ID\.SECRET\.CA-FINGERPRINT/],
    ];
    for (const [args, message] of cases) {
      const result = install(['--root', root, ...args]);
      t.is(result.status, 1);
      t.regex(result.stderr, message);
    }
    t.deepEqual(spawnSync('ls', ['-A', root], { encoding: 'utf8' }).stdout, '');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

function upgrade(args: string[]) {
  return spawnSync('bash', [join(ROOT, 'installers/upgrade-node-agent.sh'), ...args], { encoding: 'utf8' });
}

test('upgrade-node-agent.sh swaps the tree in keeping the previous one and the settings; --rollback puts the previous one back', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'fleet-upgrade-'));
  try {
    const first = install(['--root', root, '--control-plane', '10.0.0.1:7700', '--name', 'zone-a-1']);
    t.is(first.status, 0, first.stderr);
    const tree = join(root, 'opt/cline-fleet');
    const env = join(root, 'etc/cline-fleet/node-agent.env');
    const settings = readFileSync(env, 'utf8');
    writeFileSync(join(tree, 'INSTALLED-FIRST'), '');

    const up = upgrade(['--root', root]);
    t.is(up.status, 0, up.stderr);
    t.regex(up.stderr, /kept the previous tree at .*\/opt\/cline-fleet\.previous/);
    t.regex(up.stderr, /node agent \S+ \(node protocol \d+\) -> \S+ \(node protocol \d+\)/, 'it says from which version to which');
    t.regex(up.stderr, /staged under .*; not restarting fleet-node-agent\.service/);
    t.false(existsSync(join(tree, 'INSTALLED-FIRST')), 'the new tree is in place');
    t.true(existsSync(join(tree + '.previous', 'INSTALLED-FIRST')), 'the one it replaced is kept');
    t.is(readFileSync(env, 'utf8'), settings, 'the settings stay');
    const help = spawnSync(process.execPath, [join(tree, 'dist/node-agent/src/main.js'), '--help'], { encoding: 'utf8' });
    t.is(help.status, 0, help.stderr);

    const back = upgrade(['--root', root, '--rollback']);
    t.is(back.status, 0, back.stderr);
    t.true(existsSync(join(tree, 'INSTALLED-FIRST')), 'the previous tree is back');
    t.false(existsSync(join(tree + '.previous', 'INSTALLED-FIRST')), 'and the one rolled back from is kept, to roll forward again');
    const forward = upgrade(['--root', root, '--rollback']);
    t.is(forward.status, 0, forward.stderr);
    t.false(existsSync(join(tree, 'INSTALLED-FIRST')));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('upgrade-node-agent.sh refuses bad input, naming the flag, and changes nothing', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'fleet-upgrade-'));
  try {
    const none = upgrade(['--root', root]);
    t.is(none.status, 1);
    t.regex(none.stderr, /no node agent is installed here .*: install one with installers\/install-node-agent\.sh/);
    const noPrevious = spawnSync('bash', ['-c', `mkdir -p ${root}/etc/cline-fleet ${root}/opt/cline-fleet && touch ${root}/etc/cline-fleet/node-agent.env`]);
    t.is(noPrevious.status, 0);
    const cases: Array<[string[], RegExp]> = [
      [['--drain-deadline', '5'], /--drain-deadline: must be a duration such as 90s, 30m or 2h, got "5"/],
      [['--wait', '0'], /--wait: must be a whole number of seconds from 1 to 99999, got "0"/],
      [['--wait', 'soon'], /--wait: must be a whole number of seconds/],
      [['--server', 'a b'], /--server: "a b" is not HOST:PORT/],
      [['--prefix', 'opt/fleet'], /--prefix: must be an absolute path/],
      [['--token', 'not-a-secret-to-print'], /--token: an access token on the command line is visible to every user of this machine: use --token-file FILE/],
      [['--drain'], /--drain: not with --root/],
      [['--ca-file', join(root, 'missing.crt')], /--ca-file: cannot read .*missing\.crt/],
      [['--rollback'], /--rollback: there is no previous tree at .*\/opt\/cline-fleet\.previous/],
    ];
    for (const [args, message] of cases) {
      const result = upgrade(['--root', root, ...args]);
      t.is(result.status, 1, args.join(' '));
      t.regex(result.stderr, message);
      t.false(result.stderr.includes('not-a-secret-to-print'), 'a token given on the command line is not repeated');
    }
    t.deepEqual(spawnSync('ls', ['-A', join(root, 'opt')], { encoding: 'utf8' }).stdout, 'cline-fleet\n', 'nothing was installed');
    const unknown = upgrade(['--bogus']);
    t.is(unknown.status, 2);
    t.regex(unknown.stderr, /unknown option: --bogus/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
