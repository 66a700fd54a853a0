/**
 * Who may do what, against a real control plane over TLS: every
 * FleetService method tried with every role (the table is typed against the
 * service, so a new method cannot be left out), the audit trail each
 * changing call leaves, token revocation, rotation and expiry, the limit on
 * failed authentication, nodes that cannot choose their labels or raise
 * their slots, and a provider key that goes only to the nodes its selector
 * allows. Nodes are played by raw gRPC sessions holding real certificates.
 */
import * as grpc from '@grpc/grpc-js';
import anyTest, { type TestFn } from 'ava';
import { FLEET_POLICY, type FleetMethod } from '../control-plane/src/access/policy.js';
import { ROLES, roleAtLeast, type Role } from '../control-plane/src/access/roles.js';
import type { Task__Output } from '../proto/gen/fleet/v1/Task.js';
import { eventually, TestFleet } from './harness/fleet.js';
import { bearer, call, clients, enrollNode } from './harness/grpc.js';
import { AGENT_PROTOCOL } from '../common/protocol.js';

const test = anyTest as TestFn<{ fleet: TestFleet; api: ReturnType<typeof clients>; tokens: Record<Role, string> }>;

test.before(async (t) => {
  const fleet = await TestFleet.start({ agents: [] });
  const api = clients(fleet.server, fleet.caPem);
  const tokens = {} as Record<Role, string>;
  for (const role of ROLES) {
    const made = await fleet.fleetctl(['access-token', 'create', `as-${role}`, '--role', role]);
    if (made.code !== 0) throw new Error(`access-token create failed: ${made.stderr}`);
    tokens[role] = made.stdout.trim();
  }
  t.context = { fleet, api, tokens };
});

test.after.always(async (t) => {
  await t.context.fleet?.stop();
});

const NO_SUCH_TASK = 'task_0000000000000000000';

/** A request for each method that is harmless when allowed (it names nothing, or makes something small). */
const REQUESTS: Record<FleetMethod, (role: Role) => object> = {
  GetTask: () => ({ taskId: NO_SUCH_TASK }),
  ListTasks: () => ({ limit: 1 }),
  WatchTask: () => ({ taskId: NO_SUCH_TASK }),
  GetTaskLogs: () => ({ taskId: NO_SUCH_TASK }),
  GetTaskResult: () => ({ taskId: NO_SUCH_TASK }),
  ListNodes: () => ({}),
  WatchNode: () => ({ node: 'no-such-node' }),
  GetClusterStatus: () => ({}),
  ListProviders: () => ({}),
  WhoAmI: () => ({}),
  SubmitTask: (role) => ({ spec: { image: 'fleet-test/busybox:1', command: ['true'], idempotencyKey: `table-${role}` } }),
  CancelTask: () => ({ taskId: NO_SUCH_TASK, reason: 'table' }),
  CordonNode: () => ({ node: 'no-such-node' }),
  UncordonNode: () => ({ node: 'no-such-node' }),
  DrainNode: () => ({ node: 'no-such-node' }),
  RestartNode: () => ({ node: 'no-such-node' }),
  RevokeNode: () => ({ node: 'no-such-node' }),
  UpdateNode: () => ({ node: 'no-such-node', maxSlots: 2 }),
  CreateJoinToken: () => ({}),
  ListJoinTokens: () => ({}),
  RevokeJoinToken: () => ({ tokenId: 'join_0000000000000000000' }),
  ListAudit: () => ({ sinceMs: Date.now() + 3_600_000 }),
  SetProvider: (role) => ({ name: `table-${role}`, baseUrl: 'http://127.0.0.1:9/v1', model: 'm', apiKey: 'sk-table' }),
  DeleteProvider: () => ({ name: 'no-such-provider' }),
  ListForges: () => ({}),
  SetForge: (role) => ({ name: `table-${role}`, type: 'gitea', baseUrl: 'http://127.0.0.1:9/api/v1', token: 'forge-table' }),
  DeleteForge: () => ({ name: 'no-such-forge' }),
  DeliverTask: () => ({ taskId: NO_SUCH_TASK }),
  CreateAccessToken: (role) => ({ name: `made-by-${role}`, role: 'viewer' }),
  ListAccessTokens: () => ({}),
  RevokeAccessToken: () => ({ name: 'no-such-token' }),
  RotateAccessToken: () => ({ name: 'no-such-token' }),
  // Refused as a request (the steps must end at 100) once admitted: nothing starts.
  StartRollout: () => ({ image: 'fleet-test/canary:1', steps: [50] }),
  GetRollout: () => ({}),
  ListRollouts: () => ({}),
  // No rollout is under way: refused as a precondition once admitted.
  ChangeRollout: () => ({ action: 'pause' }),
  CreateBackup: () => ({}),
  // Refused as a request (no file size) once admitted: nothing is restored.
  RestoreBackup: () => ({ options: { atMs: 0, sizeBytes: 0 } }),
  ListAutoscalePools: () => ({}),
  SetAutoscalePool: (role) => ({ name: `table-${role}`, selector: { pool: `table-${role}` }, minNodes: 0, maxNodes: 1 }),
  DeleteAutoscalePool: () => ({ name: 'no-such-pool' }),
  ListTeams: () => ({}),
  GetTeam: () => ({ name: 'no-such-team' }),
  SetTeam: (role) => ({ name: `table-${role}`, weight: 2 }),
};

const STREAMS = new Set<FleetMethod>(['WatchTask', 'GetTaskLogs', 'WatchNode', 'ListAudit', 'CreateBackup']);

/** The status a call ended with (OK: 0), unary or streaming. */
async function tryCall(api: ReturnType<typeof clients>, method: FleetMethod, request: object, token: string): Promise<{ code: number; details: string }> {
  const fn = (api.fleet as unknown as Record<string, (...args: unknown[]) => unknown>)[method]!.bind(api.fleet);
  if (method === 'RestoreBackup') {
    const duplex = fn(bearer(token)) as grpc.ClientDuplexStream<object, unknown>;
    duplex.write(request);
    duplex.end();
    return new Promise((resolve) => {
      duplex.on('data', () => {});
      duplex.on('error', (err: grpc.ServiceError) => resolve({ code: err.code, details: err.details }));
      duplex.on('end', () => resolve({ code: 0, details: '' }));
    });
  }
  if (!STREAMS.has(method)) {
    const { err } = await call((cb) => fn(request, bearer(token), { deadline: Date.now() + 10_000 }, cb));
    return { code: err?.code ?? 0, details: err?.details ?? '' };
  }
  const stream = fn(request, bearer(token)) as grpc.ClientReadableStream<unknown>;
  return new Promise((resolve) => {
    stream.on('data', () => {});
    stream.on('error', (err: grpc.ServiceError) => resolve({ code: err.code, details: err.details }));
    stream.on('end', () => resolve({ code: 0, details: '' }));
  });
}

test.serial('every method, with every role: refused exactly below the role it needs, with the role and what it lacks named', async (t) => {
  const { api, tokens } = t.context;
  const methods = Object.keys(FLEET_POLICY) as FleetMethod[];
  t.is(methods.length, 44, 'every FleetService method has a line in the policy table');
  let checked = 0;
  for (const method of methods) {
    const policy = FLEET_POLICY[method];
    for (const role of ROLES) {
      const { code, details } = await tryCall(api, method, REQUESTS[method](role), tokens[role]);
      if (roleAtLeast(role, policy.role)) {
        t.true(code !== grpc.status.PERMISSION_DENIED && code !== grpc.status.UNAUTHENTICATED, `${method} as ${role}: ${code} ${details}`);
      } else {
        t.is(code, grpc.status.PERMISSION_DENIED, `${method} as ${role}`);
        t.is(details, `access token "as-${role}" has the role ${role}, which cannot ${policy.what} (that needs ${policy.role} or above; an admin can create such a token: fleetctl access-token create NAME --role ${policy.role})`);
      }
      checked++;
    }
  }
  t.is(checked, 44 * 4);
});

test.serial('every changing call is in the audit trail with its actor, target, peer and outcome; refusals too', async (t) => {
  const { fleet, api, tokens } = t.context;
  await call((cb) => api.fleet.CordonNode({ node: 'no-such-node', reason: 'audit' }, bearer(tokens.operator), cb));
  const entries = (await fleet.fleetctl(['audit', '--since', '1h', '-o', 'json'])).stdout.trim().split('\n').map((l) => JSON.parse(l) as { callId: string; actor: string; action: string; target: string; phase: string; outcome: string; peer: string; error: string; replica: string });
  const results = entries.filter((e) => e.phase === 'result');
  // Each changing method left a result for each role that tried it.
  for (const method of (Object.keys(FLEET_POLICY) as FleetMethod[]).filter((m) => FLEET_POLICY[m].mutates)) {
    for (const role of ROLES) {
      const entry = results.find((e) => e.action === method && e.actor === `as-${role}`);
      t.truthy(entry, `${method} by as-${role} is audited`);
      if (!roleAtLeast(role, FLEET_POLICY[method].role)) t.is(entry?.outcome, 'PERMISSION_DENIED', `${method} by ${role}`);
      else t.not(entry?.outcome, 'PERMISSION_DENIED');
    }
  }
  // A call allowed to run has its request entry first, with the same call id.
  const cordon = results.find((e) => e.action === 'CordonNode' && e.actor === 'as-operator' && e.target === 'no-such-node')!;
  t.is(cordon.outcome, 'NOT_FOUND');
  t.regex(cordon.error, /node "no-such-node" not found/);
  t.is(cordon.peer, '127.0.0.1');
  t.truthy(cordon.replica);
  t.truthy(entries.find((e) => e.callId === cordon.callId && e.phase === 'request'));
  // A submission names the task it made.
  const submitted = results.find((e) => e.action === 'SubmitTask' && e.actor === 'as-submitter')!;
  t.regex(submitted.target, /^task_[0-9a-z]{19}$/);
  t.is(submitted.outcome, 'OK');
  // Reads are not audited.
  t.falsy(entries.find((e) => e.action === 'ListTasks' || e.action === 'GetTask'));
  // One actor's calls, as the table shows them.
  const table = await fleet.fleetctl(['audit', '--since', '1h', '--actor', 'as-viewer']);
  t.is(table.code, 0, table.stderr);
  t.regex(table.stdout, /^TIME\s+ACTOR\s+ROLE\s+ACTION\s+TARGET\s+FROM\s+OUTCOME/);
  t.false(/as-operator/.test(table.stdout));
  t.regex(table.stdout, /as-viewer\s+viewer\s+SubmitTask\s+-\s+127\.0\.0\.1\s+PERMISSION_DENIED/);
  // A viewer cannot read it.
  const denied = await fleet.fleetctl(['audit'], { token: tokens.viewer });
  t.is(denied.code, 1);
  t.regex(denied.stderr, /has the role viewer, which cannot read the audit trail/);
});

test.serial('a revoked token is refused at once; a rotated one only with its new secret; an expired one says so', async (t) => {
  const { fleet } = t.context;
  const token = (await fleet.fleetctl(['access-token', 'create', 'ci-bot', '--role', 'submitter', '--ttl', '30d'])).stdout.trim();
  t.regex(token, /^at_[0-9a-z]{19}\.\S{40,}$/);
  t.is((await fleet.fleetctl(['whoami'], { token })).stdout, `ci-bot (submitter), valid until ${(await fleet.json<Array<{ name: string; expiresAt: string }>>(['access-token', 'list'])).find((x) => x.name === 'ci-bot')!.expiresAt}\n`);

  const rotated = await fleet.fleetctl(['access-token', 'rotate', 'ci-bot']);
  t.is(rotated.code, 0, rotated.stderr);
  const fresh = rotated.stdout.trim();
  t.not(fresh, token);
  t.regex((await fleet.fleetctl(['whoami'], { token })).stderr, /access token is not valid/);
  t.is((await fleet.fleetctl(['whoami'], { token: fresh })).code, 0);

  const duplicate = await fleet.fleetctl(['access-token', 'create', 'ci-bot', '--role', 'viewer']);
  t.is(duplicate.code, 1);
  t.regex(duplicate.stderr, /access token "ci-bot" already exists/);

  t.is((await fleet.fleetctl(['access-token', 'revoke', 'ci-bot'])).code, 0);
  const refused = await fleet.fleetctl(['task', 'list'], { token: fresh });
  t.is(refused.code, 1);
  t.regex(refused.stderr, /access token "ci-bot" was revoked/);
  const listed = await fleet.json<Array<{ name: string; state: string; createdBy: string }>>(['access-token', 'list']);
  t.like(listed.find((x) => x.name === 'ci-bot'), { state: 'REVOKED', createdBy: 'bootstrap' });

  const brief = (await fleet.fleetctl(['access-token', 'create', 'brief', '--role', 'viewer', '--ttl', '1s'])).stdout.trim();
  await new Promise((r) => setTimeout(r, 1_500));
  t.regex((await fleet.fleetctl(['whoami'], { token: brief })).stderr, /access token "brief" expired at /);

  const bad = await fleet.fleetctl(['access-token', 'create', 'Bad Name', '--role', 'viewer']);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /name: "Bad Name" is not a token name/);
  t.is((await fleet.fleetctl(['access-token', 'create', 'bootstrap', '--role', 'viewer'])).code, 2);
});

/** Opens a node session with a certificate, says hello (and a heartbeat), and collects what it is sent. */
function session(api: ReturnType<typeof clients>, hello: object) {
  const stream = api.node.Connect();
  const assigns: Array<{ taskId: string; provider: { name: string; apiKey: string } | null }> = [];
  let welcomed = false;
  stream.on('data', (m: { msg: string; assign?: { taskId: string; provider: { name: string; apiKey: string } | null } }) => {
    if (m.msg === 'welcome') welcomed = true;
    if (m.msg === 'assign') assigns.push(m.assign!);
  });
  stream.on('error', () => {});
  stream.write({ hello: { hostname: 'h', agentVersion: 'test', activeAttemptIds: [], protocolVersion: AGENT_PROTOCOL, ...hello } });
  const beat = () => stream.write({ heartbeat: { resources: {}, freeSlots: 8, dockerHealthy: true } });
  const timer = setInterval(beat, 500);
  return { assigns, welcomed: () => welcomed, close: () => (clearInterval(timer), stream.cancel()) };
}

test.serial('a node cannot choose its labels, raise its slots past its ceiling, or take a name in use', async (t) => {
  const { fleet, api, tokens } = t.context;
  const token = (await fleet.fleetctl(['token', 'create', '--labels', 'pool=a', '--max-slots', '2', '--uses', '2'])).stdout.trim();
  const enrolled = await enrollNode(api, token, 'liar', 8);
  t.is(enrolled.err, null);
  const liar = session(clients(fleet.server, fleet.caPem, enrolled), { name: 'someone-else', slots: 1024, labels: { pool: 'trusted', gpu: 'yes' } });
  t.teardown(liar.close);
  await eventually('the session to be welcomed', async () => liar.welcomed());
  const node = async () => (await fleet.json<Array<{ id: string; name: string; labels: Record<string, string>; slots: number; maxSlots: number }>>(['node', 'list'])).find((n) => n.id === enrolled.nodeId)!;
  t.like(await node(), { name: 'liar', labels: { pool: 'a' }, slots: 2, maxSlots: 2 });
  const twin = await enrollNode(api, token, 'liar');
  t.is(twin.err?.code, grpc.status.ALREADY_EXISTS);
  t.regex(twin.err?.details ?? '', /a node named "liar" is already enrolled/);
  // Without a real token nothing is said about the name.
  const [id, secret, pin] = token.split('.');
  const guess = await enrollNode(api, `${id}.${secret!.replace(/^./, (c) => (c === 'A' ? 'B' : 'A'))}.${pin}`, 'liar');
  t.is(guess.err?.code, grpc.status.UNAUTHENTICATED);
  t.false(/liar|node_/.test(guess.err?.details ?? ''));

  // An operator may change the ceiling; labels are an admin's.
  const byOperator = await fleet.fleetctl(['node', 'label', 'liar', 'pool=trusted'], { token: tokens.operator });
  t.is(byOperator.code, 1);
  t.regex(byOperator.stderr, /has the role operator, which cannot give nodes labels/);
  t.is((await fleet.fleetctl(['node', 'label', 'liar', '--max-slots', '6'], { token: tokens.operator })).code, 0);
  t.like(await node(), { labels: { pool: 'a' }, slots: 6, maxSlots: 6 }, 'the ceiling rose to what the node offered (1024), capped at 6');
  const byAdmin = await fleet.fleetctl(['node', 'label', 'liar', 'pool=b', 'zone=z', 'pool-']);
  t.is(byAdmin.code, 0, byAdmin.stderr);
  t.like(await node(), { labels: { zone: 'z' } });
  t.is((await fleet.fleetctl(['node', 'label', 'liar', 'not a change'])).code, 2);
  // A join token with labels is an admin's to make, too.
  const labelled = await fleet.fleetctl(['token', 'create', '--labels', 'pool=trusted'], { token: tokens.operator });
  t.regex(labelled.stderr, /which cannot give nodes labels/);
});

test.serial("a provider limited by a node selector is sent only to nodes that match it, and its tasks run only there", async (t) => {
  const { fleet, api } = t.context;
  const keyFile = `${fleet.dir}/guarded.key`;
  (await import('node:fs')).writeFileSync(keyFile, 'sk-guarded-secret\n', { mode: 0o600 });
  const set = await fleet.fleetctl(['provider', 'set', 'guarded', '--base-url', 'http://127.0.0.1:9/v1', '--model', 'm', '--api-key-file', keyFile, '--node-selector', 'pool=trusted']);
  t.is(set.code, 0, set.stderr);
  t.regex(set.stdout, /only nodes with pool=trusted receive it/);
  const trustedToken = (await fleet.fleetctl(['token', 'create', '--labels', 'pool=trusted'])).stdout.trim();
  const otherToken = (await fleet.fleetctl(['token', 'create', '--labels', 'pool=other'])).stdout.trim();
  const trustedNode = await enrollNode(api, trustedToken, 'trusted-1', 8);
  const otherNode = await enrollNode(api, otherToken, 'other-1', 8);
  const trusted = session(clients(fleet.server, fleet.caPem, trustedNode), { name: 'trusted-1', slots: 8 });
  // The other node claims the label in its hello: it changes nothing.
  const other = session(clients(fleet.server, fleet.caPem, otherNode), { name: 'other-1', slots: 8, labels: { pool: 'trusted' } });
  t.teardown(() => (trusted.close(), other.close()));
  await eventually('both sessions welcomed', async () => trusted.welcomed() && other.welcomed());
  const ids: string[] = [];
  for (let i = 0; i < 6; i++) {
    const { err, res } = await call<Task__Output>((cb) =>
      api.fleet.SubmitTask({ spec: { cline: { repoUrl: 'https://git.example/r.git', prompt: `p${i}`, provider: 'guarded' } } }, bearer(fleet.adminToken), cb),
    );
    t.is(err, null);
    t.deepEqual(res!.spec?.nodeSelector, { pool: 'trusted' });
    ids.push(res!.id);
  }
  await eventually('every task assigned to the trusted node', async () => ids.every((id) => trusted.assigns.some((a) => a.taskId === id)));
  t.deepEqual([...new Set(trusted.assigns.map((a) => a.provider?.apiKey))], ['sk-guarded-secret']);
  t.deepEqual(other.assigns, [], 'the other node was sent nothing');

  const conflicting = await call((cb) => api.fleet.SubmitTask({ spec: { nodeSelector: { pool: 'other' }, cline: { repoUrl: 'https://git.example/r.git', prompt: 'p', provider: 'guarded' } } }, bearer(fleet.adminToken), cb));
  t.is(conflicting.err?.code, grpc.status.INVALID_ARGUMENT);
  t.is(conflicting.err?.details, 'spec.node_selector["pool"]: is "other", but provider "guarded" runs only on nodes with pool=trusted');
  for (const id of ids) await fleet.fleetctl(['task', 'cancel', id]);
});

test.serial('the bootstrap admin token can be rotated: the old one is refused on every call from then on', async (t) => {
  const { fleet } = t.context;
  const rotated = await fleet.fleetctl(['access-token', 'rotate', 'bootstrap']);
  t.is(rotated.code, 0, rotated.stderr);
  t.regex(rotated.stdout.trim(), /^fleet_admin_\S{40,}$/);
  const old = await fleet.fleetctl(['whoami']);
  t.regex(old.stderr, /access token is not valid/);
  t.is((await fleet.fleetctl(['whoami'], { token: rotated.stdout.trim() })).stdout, 'bootstrap (admin)\n');
});

test.serial('failed authentication is limited per peer: after the burst, failures are held off; a valid token still works', async (t) => {
  const { api, tokens } = t.context;
  const codes: number[] = [];
  for (let i = 0; i < 14; i++) codes.push((await tryCall(api, 'ListNodes', {}, `at_${'0'.repeat(19)}.guess${i}${'x'.repeat(40)}`)).code);
  // Earlier tests spent some of the burst of 10 (a revoked, a rotated, an expired token).
  const refusedFirst = codes.indexOf(grpc.status.RESOURCE_EXHAUSTED);
  t.true(refusedFirst >= 5 && refusedFirst <= 10, `the burst ran out after ${refusedFirst} failures`);
  t.deepEqual(codes.slice(0, refusedFirst), Array(refusedFirst).fill(grpc.status.UNAUTHENTICATED));
  t.deepEqual(codes.slice(refusedFirst), Array(14 - refusedFirst).fill(grpc.status.RESOURCE_EXHAUSTED), 'once out, every failure is held off');
  const held = await tryCall(api, 'ListNodes', {}, `at_${'0'.repeat(19)}.again${'x'.repeat(40)}`);
  t.regex(held.details, /too many failed authentications from 127\.0\.0\.1: wait \d+s/);
  t.is((await tryCall(api, 'ListNodes', {}, tokens.viewer)).code, 0, 'a valid token from the same address still works');
  await new Promise((r) => setTimeout(r, 6_500));
  t.is((await tryCall(api, 'ListNodes', {}, `at_${'0'.repeat(19)}.later${'x'.repeat(40)}`)).code, grpc.status.UNAUTHENTICATED, 'one failure earned back');
});
