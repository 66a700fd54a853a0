import test from 'ava';
import { randomBytes } from 'node:crypto';
import { ValidationError } from '../../common/errors.js';
import { systemClock } from '../../common/clock.js';
import { compileProviderInput, providerBinding, providerToProto, Providers, withProviderSelector } from './providers.js';
import { SecretBox, SecretKeyError } from './secret-box.js';
import type { KvRecords } from './store/kv-records.js';
import type { ProviderRecord } from './store/records.js';

const ok = { name: 'openai', baseUrl: 'https://api.example.com/v1/', model: 'gpt-x', apiKey: ' sk-123 \n', insecureHttp: false, nodeSelector: {} as Record<string, string>, fallbacks: [] as string[], maxConcurrent: 0, maxRpm: 0, maxTpm: 0 };

test('a provider input is trimmed and kept', (t) => {
  t.deepEqual(compileProviderInput(ok), { name: 'openai', baseUrl: 'https://api.example.com/v1', model: 'gpt-x', apiKey: 'sk-123', insecureHttp: false, nodeSelector: {}, fallbacks: [], maxConcurrent: 0, maxRpm: 0, maxTpm: 0 });
});

test('each bad field is named', (t) => {
  const cases: Array<[Partial<typeof ok>, string]> = [
    [{ name: 'Open AI' }, 'name: provider names are lower-case letters, digits, "-" and "_" (at most 63)'],
    [{ baseUrl: 'not a url' }, 'base_url: "not a url" is not a URL (e.g. https://api.example.com/v1)'],
    [{ baseUrl: 'ftp://h/v1' }, 'base_url: must be an http:// or https:// URL'],
    [{ baseUrl: 'https://user:pw@h/v1' }, 'base_url: must not carry credentials: give the key with --api-key-file'],
    [{ baseUrl: 'https://h/v1?key=x' }, 'base_url: must be a plain base URL without query or fragment'],
    [{ baseUrl: 'http://llm.internal/v1' }, 'base_url: must be https:// (plain http:// only to a loopback host, or with --insecure-http, which sends the key in clear)'],
    [{ model: '' }, 'model: is required: the model name the provider expects, without spaces'],
    [{ apiKey: '' }, 'api_key: is required'],
    [{ apiKey: 'two words' }, 'api_key: must be one line without spaces, at most 8192 characters'],
    [{ nodeSelector: { 'bad key!': 'x' } }, 'node_selector["bad key!"]: label keys are letters, digits, ".", "-", "_" and "/" (at most 128)'],
    [{ fallbacks: ['backup', 'Bad!'] }, 'fallbacks[1]: provider names are lower-case letters, digits, "-" and "_" (at most 63)'],
    [{ fallbacks: ['openai'] }, 'fallbacks[0]: "openai" is the provider itself'],
    [{ fallbacks: ['a', 'b', 'a'] }, 'fallbacks[2]: "a" is named twice'],
    [{ fallbacks: ['a', 'b', 'c', 'd'] }, 'fallbacks: at most 3, got 4'],
    [{ maxConcurrent: -1 }, 'max_concurrent: must be a whole number from 0 (no limit) to 100000, got -1'],
    [{ maxRpm: 1.5 }, 'max_rpm: must be a whole number from 0 (no limit) to 10000000, got 1.5'],
    [{ maxRpm: 10_000_001 }, 'max_rpm: must be a whole number from 0 (no limit) to 10000000, got 10000001'],
    [{ maxTpm: -5 }, 'max_tpm: must be a whole number from 0 (no limit) to 1000000000000, got -5'],
  ];
  for (const [change, message] of cases) {
    t.throws(() => compileProviderInput({ ...ok, ...change }), { instanceOf: ValidationError, message });
  }
});

test('plain http goes to loopback freely, elsewhere only when an operator says so', (t) => {
  t.false(compileProviderInput({ ...ok, baseUrl: 'http://127.0.0.1:8080/v1' }).insecureHttp);
  t.false(compileProviderInput({ ...ok, baseUrl: 'http://localhost:8080/v1' }).insecureHttp);
  t.true(compileProviderInput({ ...ok, baseUrl: 'http://llm.internal/v1', insecureHttp: true }).insecureHttp);
  t.false(compileProviderInput({ ...ok, insecureHttp: true }).insecureHttp, 'meaningless for https, so not recorded');
});

test('the API view never carries the key', (t) => {
  const view = providerToProto({ name: 'p', baseUrl: 'https://h', model: 'm', sealedKey: 'v1:secret', createdAtMs: 1, updatedAtMs: 2 });
  t.deepEqual(view, { name: 'p', baseUrl: 'https://h', model: 'm', updatedAtMs: 2, hasApiKey: true, insecureHttp: false, nodeSelector: {}, fallbacks: [], maxConcurrent: 0, maxRpm: 0, maxTpm: 0 });
});

test('a rate-limited provider shows the last minute\'s use and the limits in force; its grant says it is rate limited', (t) => {
  const now = 1_800_000_000_000;
  const record = { name: 'p', baseUrl: 'https://h', model: 'm', sealedKey: 'v1:secret', createdAtMs: 1, updatedAtMs: 2, maxRpm: 60, maxTpm: 10_000 };
  const window = { buckets: [[now - 30_000, 12, 3_000]] as Array<[number, number, number]>, throttledFactor: 0.75, throttledAtMs: now - 1_000 };
  t.deepEqual(providerToProto(record, window, now).usage, { requestsLastMinute: 12, tokensLastMinute: 3_000, rpmInForce: 45, tpmInForce: 7_500, throttledAtMs: now - 1_000 });
  t.deepEqual(providerToProto(record, undefined, now).usage, { requestsLastMinute: 0, tokensLastMinute: 0, rpmInForce: 60, tpmInForce: 10_000, throttledAtMs: 0 }, 'no window yet: nothing used');
  t.is(providerToProto({ ...record, maxRpm: 0, maxTpm: 0 }, window, now).usage, undefined, 'no limit, no usage shown');
});

/** A KvRecords stand-in holding one record in memory: this test is about sealing, not storage. */
function oneRecord(): { records: KvRecords<ProviderRecord>; stored: () => ProviderRecord; tamper: (change: Partial<ProviderRecord>) => void } {
  let value: ProviderRecord | null = null;
  const records = {
    upsert: async (_key: string, decide: (current: ProviderRecord | null) => ProviderRecord) => {
      value = decide(value);
      return { value, revision: 1 };
    },
    get: async () => (value ? { value, revision: 1 } : null),
  } as unknown as KvRecords<ProviderRecord>;
  return { records, stored: () => value!, tamper: (change) => (value = { ...value!, ...change }) };
}

test('the key is bound to the whole provider: a base URL, model or flag changed in the store makes it unusable', async (t) => {
  const box = new SecretBox(randomBytes(32));
  const node = { id: 'node_a', labels: { pool: 'trusted' } };
  const changes: Array<Partial<ProviderRecord>> = [{ baseUrl: 'https://attacker.example/v1' }, { model: 'other' }, { insecureHttp: true }, { binding: undefined }, { nodeSelector: {} }, { nodeSelector: { zone: 'a' } }, { binding: 2 }];
  for (const change of changes) {
    const store = oneRecord();
    const providers = new Providers(store.records, box, systemClock, { info: () => {} } as never);
    await providers.set(compileProviderInput({ ...ok, nodeSelector: { pool: 'trusted' } }));
    t.is((await providers.grant('openai', node)).apiKey, 'sk-123');
    t.is(store.stored().sealedKey.includes('sk-123'), false);
    store.tamper(change);
    await t.throwsAsync(providers.grant('openai', { id: 'node_a', labels: { pool: 'trusted', zone: 'a' } }), { instanceOf: SecretKeyError }, JSON.stringify(change));
  }
  t.not(providerBinding({ name: 'a', baseUrl: 'b', model: 'c' }), providerBinding({ name: 'a', baseUrl: 'b', model: 'c', insecureHttp: true }));
  t.not(providerBinding({ name: 'a', baseUrl: 'b', model: 'c' }), providerBinding({ name: 'a', baseUrl: 'b', model: 'c', nodeSelector: { pool: 'x' } }));
  t.is(providerBinding({ name: 'a', baseUrl: 'b', model: 'c', nodeSelector: { x: '1', y: '2' } }), providerBinding({ name: 'a', baseUrl: 'b', model: 'c', nodeSelector: { y: '2', x: '1' } }), 'key order does not matter');
});

test('a provider with a node selector is granted only to nodes that match it, and joins the task\'s selector', async (t) => {
  const store = oneRecord();
  const providers = new Providers(store.records, new SecretBox(randomBytes(32)), systemClock, { info: () => {} } as never);
  const record = await providers.set(compileProviderInput({ ...ok, nodeSelector: { pool: 'trusted' } }));
  t.is((await providers.grant('openai', { id: 'node_a', labels: { pool: 'trusted', zone: 'b' } })).apiKey, 'sk-123');
  await t.throwsAsync(providers.grant('openai', { id: 'node_b', labels: { pool: 'other' } }), { message: 'provider "openai" is limited to nodes with pool=trusted; node node_b does not have them' });
  await t.throwsAsync(providers.grant('openai', { id: 'node_c', labels: {} }), { message: /node node_c does not have them/ });
  t.deepEqual(withProviderSelector({ zone: 'b' }, record), { zone: 'b', pool: 'trusted' });
  t.throws(() => withProviderSelector({ pool: 'other' }, record), { instanceOf: ValidationError, message: 'spec.node_selector["pool"]: is "other", but provider "openai" runs only on nodes with pool=trusted' });
  // A version-2 record (stored before selectors) still works, for any node.
  const legacyBox = new SecretBox(randomBytes(32));
  const legacy = oneRecord();
  await legacy.records.upsert('openai', () => ({ name: 'openai', baseUrl: 'https://h', model: 'm', sealedKey: legacyBox.seal('sk-old', providerBinding({ name: 'openai', baseUrl: 'https://h', model: 'm' }, 2)), binding: 2, createdAtMs: 1, updatedAtMs: 1 }));
  t.is((await new Providers(legacy.records, legacyBox, systemClock, { info: () => {} } as never).grant('openai', { id: 'n', labels: {} })).apiKey, 'sk-old');
});

/** A KvRecords stand-in over a map: several providers. */
function manyRecords(): KvRecords<ProviderRecord> {
  const values = new Map<string, ProviderRecord>();
  return {
    upsert: async (key: string, decide: (current: ProviderRecord | null) => ProviderRecord) => {
      const value = decide(values.get(key) ?? null);
      values.set(key, value);
      return { value, revision: 1 };
    },
    get: async (key: string) => (values.has(key) ? { value: values.get(key)!, revision: 1 } : null),
    delete: async (key: string) => void values.delete(key),
  } as unknown as KvRecords<ProviderRecord>;
}

test('fallbacks must exist when named; a grant carries each with its own key, only where its own selector allows, and skips one since deleted', async (t) => {
  const records = manyRecords();
  const warnings: string[] = [];
  const providers = new Providers(records, new SecretBox(randomBytes(32)), systemClock, { info: () => {}, warn: (o: { fallback: string }) => warnings.push(o.fallback) } as never);
  await t.throwsAsync(providers.set(compileProviderInput({ ...ok, fallbacks: ['backup'] })), { message: 'fallbacks[0]: provider "backup" is not configured: set it first (fleetctl provider set backup …)' });
  await providers.set(compileProviderInput({ ...ok, name: 'backup', baseUrl: 'https://backup.example.com/v1', model: 'other-model', apiKey: 'sk-backup' }));
  await providers.set(compileProviderInput({ ...ok, name: 'trusted-only', apiKey: 'sk-trusted', nodeSelector: { pool: 'trusted' } }));
  await providers.set(compileProviderInput({ ...ok, fallbacks: ['trusted-only', 'backup'] }));
  const anyNode = await providers.grant('openai', { id: 'node_a', labels: {} });
  t.deepEqual(anyNode, { name: 'openai', baseUrl: 'https://api.example.com/v1', model: 'gpt-x', apiKey: 'sk-123', fallbacks: [{ name: 'backup', baseUrl: 'https://backup.example.com/v1', model: 'other-model', apiKey: 'sk-backup' }] });
  t.deepEqual(warnings, ['trusted-only'], 'a fallback the node may not have is left out, and said so');
  const trusted = await providers.grant('openai', { id: 'node_t', labels: { pool: 'trusted' } });
  t.deepEqual(trusted.fallbacks?.map((f) => [f.name, f.apiKey]), [['trusted-only', 'sk-trusted'], ['backup', 'sk-backup']], 'in the order named');
  await providers.delete('backup');
  t.deepEqual((await providers.grant('openai', { id: 'node_a', labels: {} })).fallbacks, undefined, 'a deleted fallback is skipped, the grant stands');
});
