/**
 * Every RPC, fed random and malformed messages, against a real control plane
 * over TLS: as each role, as no one, and as an enrolled node. Messages are
 * made from the proto's own descriptors (every field of the right wire type,
 * with hostile values: path tricks, huge and empty strings, control
 * characters, extreme numbers, unknown enum values, oneofs with several
 * members set), plus raw bytes that are no message at all.
 *
 * What must hold: the replica stays up and serving; no call ends INTERNAL
 * (our bug) other than a body gRPC itself cannot decode; a role below the
 * method's gets PERMISSION_DENIED whatever the body; INVALID_ARGUMENT names
 * a field; and the store holds only what calls that said OK made.
 *
 * CI runs a fixed seed; FLEET_FUZZ_RUNS=5000 FLEET_FUZZ_SEED=N runs longer.
 */
import * as grpc from '@grpc/grpc-js';
import type * as protoLoader from '@grpc/proto-loader';
import anyTest, { type TestFn } from 'ava';
import fc from 'fast-check';
import { FLEET_POLICY, type FleetMethod } from '../control-plane/src/access/policy.js';
import { ROLES, roleAtLeast, type Role } from '../control-plane/src/access/roles.js';
import { channelOptions, protoDefinition } from '../common/proto.js';
import { serverNameCheck } from '../common/tls-names.js';
import * as tls from 'node:tls';
import { TestFleet } from './harness/fleet.js';
import { bearer, clients, enrollNode } from './harness/grpc.js';

const RUNS = Number(process.env.FLEET_FUZZ_RUNS ?? 800);
const SEED = Number(process.env.FLEET_FUZZ_SEED ?? 20261128);
const PKG = 'fleet.v1.';

const test = anyTest as TestFn<{ fleet: TestFleet; raw: grpc.Client; tokens: Record<Role, string> }>;

test.before(async (t) => {
  // Forged and missing tokens by the hundred: the per-address hold-off would stop the fuzzing, not the fuzz.
  const fleet = await TestFleet.start({ agents: [], controlPlaneArgs: ['--auth-burst', '1000000'] });
  const tokens = {} as Record<Role, string>;
  for (const role of ROLES) tokens[role] = (await fleet.fleetctl(['access-token', 'create', `fuzz-${role}`, '--role', role])).stdout.trim();
  const creds = grpc.credentials.createSsl(Buffer.from(fleet.caPem), null, null, { checkServerIdentity: serverNameCheck(tls.checkServerIdentity) });
  t.context = { fleet, raw: new grpc.Client(fleet.server, creds, channelOptions(fleet.server)), tokens };
});

test.after.always(async (t) => {
  for (const l of t.context.fleet?.controlPlane?.logLines() ?? []) if (l.msg === 'unexpected error in request') console.error('the control plane logged an unexpected error:', JSON.stringify(l).slice(0, 2000));
  t.context.raw?.close();
  await t.context.fleet?.stop();
});

// ---------------------------------------------------------------------------
// Messages from descriptors

interface FieldDescriptor {
  name: string;
  label: string;
  type: string;
  typeName: string;
}
interface MessageDescriptor {
  field: FieldDescriptor[];
  nestedType: Array<MessageDescriptor & { name: string; options: { mapEntry?: boolean } | null }>;
}

const definition = protoDefinition();
const messageType = (name: string): MessageDescriptor => (definition[`${PKG}${name}`] as protoLoader.MessageTypeDefinition<object, object>).type as unknown as MessageDescriptor;
const enumValues = (name: string): string[] => ((definition[`${PKG}${name}`] as protoLoader.EnumTypeDefinition).type as unknown as { value: Array<{ name: string }> }).value.map((v) => v.name);

const hostileString = fc.oneof(
  fc.constantFrom('', ' ', 'task_0000000000000000000', 'att_0000000000000000000', 'node_0000000000000000000', 'join_0000000000000000000', '../../etc/passwd', '/etc/shadow', 'a/../../b', '$(reboot)', '; rm -rf /', '\u0000', '\x1b]0;owned\x07', 'x'.repeat(70_000), 'é'.repeat(300), 'default', 'admin', 'bootstrap', 'k=v', 'https://169.254.169.254/latest', 'http://127.0.0.1:9/v1', 'fleet-test/busybox:1', 'READY', 'TASK_STATE_PENDING'),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
);
const hostileInt = fc.oneof(fc.integer(), fc.constantFrom(0, -1, 1, 2 ** 31 - 1, -(2 ** 31), 1_000_000_000));
const hostileLong = fc.oneof(hostileInt, fc.constantFrom(Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 2 ** 53 - 1));

const cache = new Map<string, fc.Arbitrary<Record<string, unknown>>>();

function messageOf(typeName: string, depth: number, descriptor: MessageDescriptor = messageType(typeName)): fc.Arbitrary<Record<string, unknown>> {
  const key = `${typeName}@${depth}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const fields: Record<string, fc.Arbitrary<unknown>> = {};
  for (const f of descriptor.field) {
    const entry = descriptor.nestedType.find((n) => n.name === f.typeName && n.options?.mapEntry);
    if (entry) {
      const value = entry.field.find((x) => x.name === 'value')!;
      fields[f.name] = fc.dictionary(hostileString.filter((k) => k.length < 300), valueOf(value, depth, entry), { maxKeys: 3 });
    } else if (f.label === 'LABEL_REPEATED') {
      fields[f.name] = fc.array(valueOf(f, depth, descriptor), { maxLength: 3 });
    } else {
      fields[f.name] = valueOf(f, depth, descriptor);
    }
  }
  const arb = fc.record(fields, { requiredKeys: [] });
  cache.set(key, arb);
  return arb;
}

function valueOf(f: FieldDescriptor, depth: number, parent: MessageDescriptor): fc.Arbitrary<unknown> {
  switch (f.type) {
    case 'TYPE_STRING':
      return hostileString;
    case 'TYPE_BOOL':
      return fc.boolean();
    case 'TYPE_INT32':
    case 'TYPE_UINT32':
    case 'TYPE_SINT32':
      return hostileInt;
    case 'TYPE_INT64':
    case 'TYPE_UINT64':
    case 'TYPE_SINT64':
      return hostileLong;
    case 'TYPE_DOUBLE':
    case 'TYPE_FLOAT':
      return fc.oneof(fc.double(), fc.constantFrom(Number.NaN, Infinity, -Infinity, -0.0001, 1e300));
    case 'TYPE_BYTES':
      return fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b));
    case 'TYPE_ENUM':
      return fc.constantFrom(...enumValues(f.typeName));
    case 'TYPE_MESSAGE': {
      if (depth >= 3) return fc.constant({});
      const nested = parent.nestedType.find((n) => n.name === f.typeName);
      return nested ? messageOf(`${f.typeName}#nested`, depth + 1, nested) : messageOf(f.typeName, depth + 1);
    }
    default:
      return fc.constant(undefined);
  }
}

/**
 * Valid requests that a hostile value replaces one field of (or none): random
 * messages alone are almost never valid, and the paths past validation need
 * fuzzing too. The key is where the field goes: top level, or inside `spec`.
 */
const NEAR_VALID: Partial<Record<string, { base: Record<string, unknown>; inside?: string }>> = {
  SubmitTask: { base: { spec: { image: 'fleet-test/busybox:1', command: ['true'] } }, inside: 'spec' },
  CreateJoinToken: { base: { ttlMs: 60_000, maxUses: 1 } },
  CreateAccessToken: { base: { name: 'fuzzed', role: 'viewer' } },
  SetProvider: { base: { name: 'fuzzed', baseUrl: 'http://127.0.0.1:9/v1', model: 'm', apiKey: 'sk-fuzz' } },
  SetForge: { base: { name: 'fuzzed', type: 'gitea', baseUrl: 'http://127.0.0.1:9/api/v1', token: 'fuzz-token' } },
  DeliverTask: { base: { taskId: 'task_0000000000000000000' } },
  SetTeam: { base: { name: 'fuzzed', weight: 2, maxRunning: 3 } },
  ListTasks: { base: { limit: 5 } },
  CancelTask: { base: { taskId: 'task_0000000000000000000', reason: 'fuzz' } },
  UpdateNode: { base: { node: 'fuzzed-node', maxSlots: 2 } },
  SetAutoscalePool: { base: { name: 'fuzzed', selector: { pool: 'fuzz' }, minNodes: 0, maxNodes: 2 } },
};

/** A request for `method` as bytes: a random message of its type, a valid one with one hostile field, or (1 in 8) bytes that are no message. */
function requestBytes(service: string, method: string): fc.Arbitrary<{ bytes: Buffer; rawGarbage: boolean }> {
  const def = (definition[`${PKG}${service}`] as grpc.ServiceDefinition)[method]!;
  const typeName = String((def as unknown as { requestType: { type: { name: string } } }).requestType.type.name);
  const encode = (m: Record<string, unknown>) => {
    try {
      return { bytes: def.requestSerialize(m), rawGarbage: false };
    } catch {
      return { bytes: def.requestSerialize({}), rawGarbage: false };
    }
  };
  const message = messageOf(typeName, 0).map(encode);
  const garbage = fc.uint8Array({ minLength: 1, maxLength: 200 }).map((b) => ({ bytes: Buffer.from(b), rawGarbage: true }));
  const near = NEAR_VALID[method];
  if (!near) return fc.oneof({ arbitrary: message, weight: 7 }, { arbitrary: garbage, weight: 1 });
  const source = near.inside ? messageOf(typeName, 0).map((m) => (m[near.inside!] ?? {}) as Record<string, unknown>) : messageOf(typeName, 0);
  const mutated = fc.tuple(source, fc.option(fc.nat(20), { freq: 3 })).map(([random, pick]) => {
    const keys = Object.keys(random);
    const one = pick === null || keys.length === 0 ? {} : { [keys[pick % keys.length]!]: random[keys[pick % keys.length]!] };
    const request = near.inside ? { ...near.base, [near.inside]: { ...(near.base[near.inside] as object), ...one } } : { ...near.base, ...one };
    return encode(request);
  });
  return fc.oneof({ arbitrary: message, weight: 4 }, { arbitrary: mutated, weight: 4 }, { arbitrary: garbage, weight: 1 });
}

// ---------------------------------------------------------------------------
// Calls with bytes as they are

interface Outcome {
  code: number;
  details: string;
  response?: Buffer;
}

const identity = (b: Buffer) => b;

function rawUnary(client: grpc.Client, path: string, bytes: Buffer, metadata: grpc.Metadata): Promise<Outcome> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(path, identity, identity, bytes, metadata, { deadline: Date.now() + 15_000 }, (err, res) => resolve({ code: err?.code ?? 0, details: err?.details ?? '', response: res }));
  });
}

function rawServerStream(client: grpc.Client, path: string, bytes: Buffer, metadata: grpc.Metadata): Promise<Outcome> {
  return new Promise((resolve) => {
    // Follow and watch calls would stream for ever: a short deadline ends them.
    const call = client.makeServerStreamRequest(path, identity, identity, bytes, metadata, { deadline: Date.now() + 1_500 });
    call.on('data', () => {});
    call.on('error', (err: grpc.ServiceError) => resolve({ code: err.code, details: err.details }));
    call.on('end', () => resolve({ code: 0, details: '' }));
  });
}

/** INVALID_ARGUMENT must say which field: `field: problem`. */
const INDEX = String.raw`\[(?:\d+|"(?:[^"\\\x00-\x1f]|\\.)*")\]`;
const NAMES_A_FIELD = new RegExp(String.raw`^[a-z_][\w]*(?:${INDEX})*(?:\.[\w]+(?:${INDEX})*)*: \S`);

function judge(method: string, outcome: Outcome, rawGarbage: boolean): string | null {
  if (outcome.code === grpc.status.INTERNAL) {
    // gRPC's own answer to bytes that are no message is fine; anything else is our bug.
    if (rawGarbage && /deserializ|parse|invalid wire|index out of range|illegal/i.test(outcome.details)) return null;
    return `${method}: INTERNAL ${outcome.details}`;
  }
  if (outcome.code === grpc.status.UNKNOWN) return `${method}: UNKNOWN ${outcome.details}`;
  if (outcome.code === grpc.status.INVALID_ARGUMENT && !NAMES_A_FIELD.test(outcome.details)) return `${method}: INVALID_ARGUMENT without a field: ${outcome.details.slice(0, 200)}`;
  if (outcome.code !== 0 && outcome.details.trim() === '') return `${method}: status ${outcome.code} with no message`;
  return null;
}

test.serial('FleetService: random and malformed requests, as every role and as no one', async (t) => {
  const { fleet, raw, tokens } = t.context;
  const methods = Object.keys(FLEET_POLICY) as FleetMethod[];
  const service = definition[`${PKG}FleetService`] as grpc.ServiceDefinition;
  const before = { joinTokens: (await fleet.json<unknown[]>(['token', 'list'])).length };
  const made = { tasks: new Set<string>(), joinTokens: 0, providers: new Set<string>(), forges: new Set<string>(), teams: new Set<string>(), accessTokens: new Set<string>(), pools: new Set<string>() };
  const problems: string[] = [];
  const caller = fc.constantFrom<Role | 'nobody' | 'forged'>(...ROLES, 'nobody', 'forged');
  const call = fc.constantFrom(...methods).chain((method) => fc.tuple(fc.constant(method), caller, requestBytes('FleetService', method)));
  await fc.assert(
    fc.asyncProperty(call, async ([method, who, { bytes, rawGarbage }]) => {
      const metadata = who === 'nobody' ? new grpc.Metadata() : bearer(who === 'forged' ? `at_${'0'.repeat(19)}.${'f'.repeat(43)}` : tokens[who]);
      const def = service[method]!;
      // The tokens this test calls with are not the fuzz's to revoke or rotate (the audit of those calls is tested elsewhere).
      if (method === 'RevokeAccessToken' || method === 'RotateAccessToken') {
        const name = (() => {
          try {
            return String((def.requestDeserialize(bytes) as { name?: string }).name ?? '');
          } catch {
            return '';
          }
        })();
        if (name === 'bootstrap' || name.startsWith('fuzz-')) return true;
      }
      const outcome = def.responseStream ? await rawServerStream(raw, def.path, bytes, metadata) : await rawUnary(raw, def.path, bytes, metadata);
      const problem = judge(method, outcome, rawGarbage);
      if (problem) problems.push(problem);
      if (who === 'nobody' || who === 'forged') {
        // Unauthenticated (or bytes gRPC cannot decode): never further than that.
        if (outcome.code !== grpc.status.UNAUTHENTICATED && !(rawGarbage && outcome.code === grpc.status.INTERNAL)) problems.push(`${method} without a valid token: ${outcome.code} ${outcome.details}`);
        return true;
      }
      if (!roleAtLeast(who, FLEET_POLICY[method].role) && outcome.code !== grpc.status.PERMISSION_DENIED && !(rawGarbage && outcome.code === grpc.status.INTERNAL)) {
        problems.push(`${method} as ${who}: ${outcome.code} ${outcome.details}, not PERMISSION_DENIED`);
      }
      if (outcome.code === 0 && outcome.response) {
        const res = def.responseDeserialize(outcome.response) as Record<string, unknown>;
        if (method === 'SubmitTask') made.tasks.add(String(res.id));
        if (method === 'CreateJoinToken') made.joinTokens++;
        if (method === 'SetProvider') made.providers.add(String(res.name));
        if (method === 'SetForge') made.forges.add(String(res.name));
        if (method === 'SetTeam') made.teams.add(String(res.name));
        if (method === 'SetAutoscalePool') made.pools.add(String(res.name));
        if (method === 'CreateAccessToken') made.accessTokens.add(String((res.accessToken as { name: string }).name));
      }
      return true;
    }),
    { seed: SEED, numRuns: RUNS },
  );
  t.deepEqual(problems, []);

  // The replica is up, says SERVING, and logged no unexpected error.
  t.is(fleet.controlPlane?.logLines().filter((l) => l.msg === 'unexpected error in request').length, 0);
  const health = await new Promise<{ status: string }>((resolve) => clients(fleet.server, fleet.caPem).health.Check({ service: '' }, (_e, r) => resolve(r as { status: string })));
  t.is(health.status, 'SERVING');

  // Stored: only what a call that said OK made.
  const tasks = await fleet.json<Array<{ id: string }>>(['task', 'list', '--limit', '1000']);
  t.deepEqual(tasks.map((x) => x.id).sort(), [...made.tasks].sort());
  t.is((await fleet.json<unknown[]>(['token', 'list'])).length, before.joinTokens + made.joinTokens);
  for (const p of await fleet.json<Array<{ name: string }>>(['provider', 'list'])) t.true(made.providers.has(p.name), `provider ${p.name} was made by an OK call`);
  for (const p of await fleet.json<Array<{ name: string }>>(['autoscale', 'list'])) t.true(made.pools.has(p.name), `autoscale pool ${p.name} was made by an OK call`);
  for (const f of await fleet.json<Array<{ name: string }>>(['forge', 'list'])) t.true(made.forges.has(f.name), `forge ${f.name} was made by an OK call`);
  for (const team of await fleet.json<Array<{ name: string }>>(['team', 'list'])) t.true(made.teams.has(team.name), `team ${team.name} was made by an OK call`);
  for (const a of await fleet.json<Array<{ name: string }>>(['access-token', 'list'])) t.true(a.name === 'bootstrap' || a.name.startsWith('fuzz-') || made.accessTokens.has(a.name), `access token ${a.name}`);
  t.log(`${RUNS} calls (seed ${SEED}): ${made.tasks.size} tasks, ${made.joinTokens} join tokens, ${made.providers.size} providers, ${made.forges.size} forges, ${made.teams.size} teams, ${made.accessTokens.size} access tokens, ${made.pools.size} autoscale pools made by calls that said OK`);
});

test.serial('NodeService: random enrollments, and random messages from an enrolled node, change nothing they should not', async (t) => {
  const { fleet, raw } = t.context;
  const service = definition[`${PKG}NodeService`] as grpc.ServiceDefinition;
  const problems: string[] = [];
  // Enroll: no random request enrolls anything.
  const nodesBefore = (await fleet.json<unknown[]>(['node', 'list'])).length;
  await fc.assert(
    fc.asyncProperty(requestBytes('NodeService', 'Enroll'), async ({ bytes, rawGarbage }) => {
      const outcome = await rawUnary(raw, service.Enroll!.path, bytes, new grpc.Metadata());
      const problem = judge('Enroll', outcome, rawGarbage);
      if (problem) problems.push(problem);
      if (outcome.code === 0) problems.push('a random Enroll succeeded');
      return true;
    }),
    { seed: SEED, numRuns: Math.ceil(RUNS / 3) },
  );
  t.is((await fleet.json<unknown[]>(['node', 'list'])).length, nodesBefore);

  // Connect: a real node sends random messages; its record keeps its name and labels, no task changes.
  // (The tasks the first test made are cancelled first: a task the scheduler places is a change, and a legitimate one.)
  for (const task of await fleet.json<Array<{ id: string; state: string }>>(['task', 'list', '--limit', '1000'])) {
    if (!['SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT'].includes(task.state)) await fleet.fleetctl(['task', 'cancel', task.id]);
  }
  const joinToken = (await fleet.fleetctl(['token', 'create', '--labels', 'pool=fuzz', '--max-slots', '2'])).stdout.trim();
  const enrolled = await enrollNode(clients(fleet.server, fleet.caPem), joinToken, 'fuzzed-node', 2);
  t.is(enrolled.err, null);
  await fleet.fleetctl(['node', 'cordon', 'fuzzed-node']);
  const tasksBefore = JSON.stringify(await fleet.json<unknown[]>(['task', 'list', '--limit', '1000']));
  const creds = grpc.credentials.createSsl(Buffer.from(fleet.caPem), Buffer.from(enrolled.keyPem), Buffer.from(enrolled.certPem), { checkServerIdentity: serverNameCheck(tls.checkServerIdentity) });
  const node = new grpc.Client(fleet.server, creds, channelOptions(fleet.server));
  const connectPath = service.Connect!.path;
  let stream: grpc.ClientDuplexStream<Buffer, Buffer> | null = null;
  let ended: Promise<Outcome> = Promise.resolve({ code: 0, details: '' });
  const open = () => {
    const s = node.makeBidiStreamRequest(connectPath, identity, identity, new grpc.Metadata());
    s.on('data', () => {});
    ended = new Promise((resolve) => {
      s.on('error', (err: grpc.ServiceError) => resolve({ code: err.code, details: err.details }));
      s.on('end', () => resolve({ code: 0, details: '' }));
    });
    void ended.then((o) => {
      const problem = judge('Connect', o, false);
      if (problem && !/deserializ|parse/i.test(o.details)) problems.push(problem);
      if (stream === s) stream = null;
    });
    return s;
  };
  await fc.assert(
    fc.asyncProperty(requestBytes('NodeService', 'Connect'), async ({ bytes }) => {
      stream ??= open();
      stream.write(bytes);
      await new Promise((r) => setTimeout(r, 5));
      return true;
    }),
    { seed: SEED, numRuns: RUNS },
  );
  (stream as grpc.ClientDuplexStream<Buffer, Buffer> | null)?.cancel();
  await new Promise((r) => setTimeout(r, 500));
  node.close();
  t.deepEqual(problems, []);
  t.is(fleet.controlPlane?.logLines().filter((l) => l.msg === 'unexpected error in request').length, 0);
  const record = (await fleet.json<Array<{ name: string; labels: Record<string, string>; maxSlots: number; slots: number }>>(['node', 'list'])).find((n) => n.name === 'fuzzed-node');
  t.like(record, { labels: { pool: 'fuzz' }, maxSlots: 2 });
  t.true(record!.slots <= 2);
  t.is(JSON.stringify(await fleet.json<unknown[]>(['task', 'list', '--limit', '1000'])), tasksBefore, 'no task changed');
});
