/**
 * LLM providers that Cline tasks use: an OpenAI-compatible base URL, a model
 * and an API key. The key is sealed before it is stored and leaves the
 * control plane only inside an Assign, to the node agent's gateway; the
 * admin API never returns it.
 */
import type { Clock } from '../../common/clock.js';
import { NotFoundError, PreconditionError, ValidationError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { ProviderEndpoint, ProviderGrant } from '../../common/model.js';
import { EMPTY_WINDOW, isRateLimited, limitsAt, usageAt, type RateLimits, type RateWindow } from '../../common/rate-window.js';
import { MAX_PROVIDER_CONCURRENT, MAX_PROVIDER_FALLBACKS, MAX_PROVIDER_RPM, MAX_PROVIDER_TPM, PROVIDER_LIMITS, PROVIDER_NAME_PATTERN, SPEC_LIMITS, validateLabels } from '../../common/task-spec.js';
import { stringMap } from '../../common/wire/fields.js';
import { matchesSelector } from './scheduler.js';
import type { Provider as ProviderMsg } from '../../proto/gen/fleet/v1/Provider.js';
import type { SetProviderRequest__Output } from '../../proto/gen/fleet/v1/SetProviderRequest.js';
import { SecretKeyError, type SecretBox } from './secret-box.js';
import { secretUrl, sendsInClear } from './secret-url.js';
import { KeyedView } from './store/keyed-view.js';
import type { KvRecords } from './store/kv-records.js';
import type { ProviderRecord } from './store/records.js';

export interface ProviderInput {
  name: string;
  baseUrl: string;
  model: string;
  apiKey: string;
  insecureHttp: boolean;
  /** Only nodes with these labels receive the key (empty: any node). */
  nodeSelector: Record<string, string>;
  /** Other providers tried in order when this one keeps failing a call. */
  fallbacks: string[];
  /** Cline attempts using it that may run at once, fleet-wide (0: no limit). */
  maxConcurrent: number;
  /** Requests and tokens a minute to it, fleet-wide (0: no limit). */
  maxRpm: number;
  maxTpm: number;
}

/** A provider's fleet-wide limits, as the scheduler and the permit service read them. */
export interface ProviderLimits extends RateLimits {
  /** Infinity: none. */
  maxConcurrent: number;
}

const NO_LIMITS: ProviderLimits = { maxConcurrent: Infinity, maxRpm: 0, maxTpm: 0 };

/** A stored provider's fleet-wide limits (absent: none). */
function limitsOf(p: ProviderRecord): ProviderLimits {
  return { maxConcurrent: p.maxConcurrent || Infinity, maxRpm: p.maxRpm ?? 0, maxTpm: p.maxTpm ?? 0 };
}

function wholeNumber(field: string, value: unknown, max: number): number {
  const n = Number(value ?? 0);
  if (!Number.isInteger(n) || n < 0 || n > max) throw new ValidationError(field, `must be a whole number from 0 (no limit) to ${max}, got ${String(value)}`);
  return n;
}

/**
 * What the sealed key is bound to: every field that decides where the key
 * goes. Version 3 adds the node selector; a version-2 record has none.
 */
export function providerBinding(p: { name: string; baseUrl: string; model: string; insecureHttp?: boolean; nodeSelector?: Record<string, string> }, version: 2 | 3 = 3): string {
  if (version === 2) return JSON.stringify(['provider/2', p.name, p.baseUrl, p.model, Boolean(p.insecureHttp)]);
  const selector = Object.entries(p.nodeSelector ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify(['provider/3', p.name, p.baseUrl, p.model, Boolean(p.insecureHttp), selector]);
}

export function checkProviderName(field: string, name: string): string {
  if (!PROVIDER_NAME_PATTERN.test(name)) throw new ValidationError(field, 'provider names are lower-case letters, digits, "-" and "_" (at most 63)');
  return name;
}

/** Validates SetProvider's fields, naming the first bad one. */
export function compileProviderInput(req: SetProviderRequest__Output): ProviderInput {
  const name = checkProviderName('name', String(req.name ?? ''));
  const baseUrl = String(req.baseUrl ?? '').trim().replace(/\/+$/, '');
  const insecureHttp = Boolean(req.insecureHttp);
  // The key travels to this URL: in clear only to this machine's loopback, or where an operator said so.
  const url = secretUrl('base_url', baseUrl, { secret: 'key', secretFlag: '--api-key-file', what: 'base URL', example: 'https://api.example.com/v1', maxChars: PROVIDER_LIMITS.baseUrlChars, insecureHttp });
  const model = String(req.model ?? '').trim();
  if (model === '' || model.length > PROVIDER_LIMITS.modelChars || /[\s\0]/.test(model)) {
    throw new ValidationError('model', 'is required: the model name the provider expects, without spaces');
  }
  const apiKey = String(req.apiKey ?? '').trim();
  if (apiKey === '') throw new ValidationError('api_key', 'is required');
  if (apiKey.length > PROVIDER_LIMITS.apiKeyChars || /[\s\0]/.test(apiKey)) {
    throw new ValidationError('api_key', `must be one line without spaces, at most ${PROVIDER_LIMITS.apiKeyChars} characters`);
  }
  const nodeSelector = validateLabels('node_selector', stringMap('node_selector', req.nodeSelector ?? {}), SPEC_LIMITS.selectorLabels);
  const fallbacks = (req.fallbacks ?? []).map((f, i) => checkProviderName(`fallbacks[${i}]`, String(f)));
  if (fallbacks.length > MAX_PROVIDER_FALLBACKS) throw new ValidationError('fallbacks', `at most ${MAX_PROVIDER_FALLBACKS}, got ${fallbacks.length}`);
  fallbacks.forEach((f, i) => {
    if (f === name) throw new ValidationError(`fallbacks[${i}]`, `"${f}" is the provider itself`);
    if (fallbacks.indexOf(f) !== i) throw new ValidationError(`fallbacks[${i}]`, `"${f}" is named twice`);
  });
  const maxConcurrent = wholeNumber('max_concurrent', req.maxConcurrent, MAX_PROVIDER_CONCURRENT);
  const maxRpm = wholeNumber('max_rpm', req.maxRpm, MAX_PROVIDER_RPM);
  const maxTpm = wholeNumber('max_tpm', req.maxTpm, MAX_PROVIDER_TPM);
  return { name, baseUrl, model, apiKey, insecureHttp: insecureHttp && sendsInClear([url]), nodeSelector, fallbacks, maxConcurrent, maxRpm, maxTpm };
}

/** A provider as the API shows it; `window`, its rate window (a limited provider's usage, when known). */
export function providerToProto(p: ProviderRecord, window?: RateWindow, now = Date.now()): ProviderMsg {
  const limits = limitsOf(p);
  let usage: ProviderMsg['usage'];
  if (isRateLimited(limits)) {
    const w = window ?? EMPTY_WINDOW;
    const used = usageAt(w, now);
    const inForce = limitsAt(w, limits, now);
    usage = { requestsLastMinute: used.requests, tokensLastMinute: used.tokens, rpmInForce: inForce.maxRpm, tpmInForce: inForce.maxTpm, throttledAtMs: w.throttledAtMs };
  }
  return {
    name: p.name,
    baseUrl: p.baseUrl,
    model: p.model,
    updatedAtMs: p.updatedAtMs,
    hasApiKey: p.sealedKey !== '',
    insecureHttp: Boolean(p.insecureHttp),
    nodeSelector: p.nodeSelector ?? {},
    fallbacks: p.fallbacks ?? [],
    maxConcurrent: p.maxConcurrent ?? 0,
    maxRpm: limits.maxRpm,
    maxTpm: limits.maxTpm,
    ...(usage ? { usage } : {}),
  };
}

export class Providers {
  private readonly limitListeners = new Set<() => void>();
  /** The providers, kept current by a watch once started: what the scheduler and the permits read of their limits. */
  private view: KeyedView<ProviderRecord> | undefined;

  constructor(
    private readonly records: KvRecords<ProviderRecord>,
    private readonly box: SecretBox,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /** Watches the providers for their limits (the scheduler's); resolves once it holds them all. */
  async start(): Promise<void> {
    this.view = new KeyedView(this.records, this.log, () => this.limitsChanged());
    await this.view.start();
  }

  stop(): void {
    this.view?.stop();
  }

  /** Cline attempts of this provider that may run at once (Infinity: no limit). */
  maxConcurrent(name: string): number {
    return this.limits(name).maxConcurrent;
  }

  /** The providers an attempt of `name` may call: itself, then its fallbacks (as last watched). */
  reach(name: string): string[] {
    return [name, ...(this.view?.get(name)?.fallbacks ?? [])];
  }

  /** A provider's fleet-wide limits, as last watched (none for one unknown). */
  limits(name: string): ProviderLimits {
    const p = this.view?.get(name);
    return p ? limitsOf(p) : NO_LIMITS;
  }

  /** Told whenever a provider's limit may have changed (a scheduling pass). */
  onLimitsChange(listener: () => void): () => void {
    this.limitListeners.add(listener);
    return () => this.limitListeners.delete(listener);
  }

  private limitsChanged(): void {
    for (const listener of this.limitListeners) listener();
  }

  async set(input: ProviderInput): Promise<ProviderRecord> {
    // A typo in a fallback is told now, not found out when the provider fails.
    for (const [i, f] of input.fallbacks.entries()) {
      if (!(await this.records.get(f))) throw new PreconditionError(`fallbacks[${i}]: provider "${f}" is not configured: set it first (fleetctl provider set ${f} …)`);
    }
    const now = this.clock.now();
    const record: ProviderRecord = {
      name: input.name,
      baseUrl: input.baseUrl,
      model: input.model,
      ...(input.insecureHttp ? { insecureHttp: true } : {}),
      nodeSelector: input.nodeSelector,
      ...(input.fallbacks.length > 0 ? { fallbacks: input.fallbacks } : {}),
      ...(input.maxConcurrent > 0 ? { maxConcurrent: input.maxConcurrent } : {}),
      ...(input.maxRpm > 0 ? { maxRpm: input.maxRpm } : {}),
      ...(input.maxTpm > 0 ? { maxTpm: input.maxTpm } : {}),
      sealedKey: this.box.seal(input.apiKey, providerBinding(input)),
      binding: 3,
      createdAtMs: now,
      updatedAtMs: now,
    };
    // A replacement keeps when the provider was first made.
    await this.records.upsert(input.name, (existing) => (existing ? { ...record, createdAtMs: existing.createdAtMs } : record));
    this.log.info({ provider: input.name, baseUrl: input.baseUrl, model: input.model, insecureHttp: input.insecureHttp, nodeSelector: input.nodeSelector, fallbacks: input.fallbacks, maxConcurrent: input.maxConcurrent, maxRpm: input.maxRpm, maxTpm: input.maxTpm }, 'provider set');
    return record;
  }

  async list(): Promise<ProviderRecord[]> {
    return (await this.records.list()).map((r) => r.value).sort((a, b) => a.name.localeCompare(b.name));
  }

  async delete(name: string): Promise<ProviderRecord> {
    const existing = await this.records.get(name);
    if (!existing) throw new NotFoundError(`provider ${name} not found`);
    await this.records.delete(name);
    this.log.info({ provider: name }, 'provider deleted');
    return existing.value;
  }

  /** Submission checks the provider exists, so a typo fails at once rather than on a node. */
  async require(name: string): Promise<ProviderRecord> {
    const found = await this.records.get(name);
    if (!found) {
      throw new PreconditionError(`provider "${name}" is not configured: run fleetctl provider set ${name} --base-url URL --model MODEL --api-key-file FILE`);
    }
    return found.value;
  }

  /**
   * What a node's gateway needs for one attempt, key included; refused to a
   * node the provider's selector does not allow (the scheduler places such
   * tasks only on allowed nodes; this holds if the selector changed since).
   */
  async grant(name: string, node: { id: string; labels: Record<string, string> }): Promise<ProviderGrant> {
    const p = await this.require(name);
    const grant: ProviderGrant = this.endpoint(p, node);
    // Each fallback goes with its own key, only where its own record allows:
    // the fallback list binds no key, so changing it sends none anywhere new.
    const fallbacks: ProviderEndpoint[] = [];
    for (const f of p.fallbacks ?? []) {
      const found = await this.records.get(f);
      try {
        if (!found) throw new NotFoundError(`provider "${f}" is not configured`);
        fallbacks.push(this.endpoint(found.value, node));
      } catch (err) {
        // A missing or barred fallback costs the attempt a fallback, never the attempt.
        this.log.warn({ provider: name, fallback: f, nodeId: node.id, err: (err as Error).message }, 'fallback provider left out of a grant');
      }
    }
    return fallbacks.length > 0 ? { ...grant, fallbacks } : grant;
  }

  /** One provider's endpoint with its key opened, for this node. */
  private endpoint(p: ProviderRecord, node: { id: string; labels: Record<string, string> }): ProviderEndpoint {
    if (p.binding !== 2 && p.binding !== 3) {
      throw new SecretKeyError(`provider "${p.name}" was stored before its whole record was sealed with its key: set it again (fleetctl provider set ${p.name} …)`);
    }
    const selector = p.binding === 3 ? (p.nodeSelector ?? {}) : {};
    if (!matchesSelector(node.labels, selector)) throw new PreconditionError(`provider "${p.name}" is limited to nodes with ${formatSelector(selector)}; node ${node.id} does not have them`);
    const rateLimited = isRateLimited(limitsOf(p));
    return { name: p.name, baseUrl: p.baseUrl, model: p.model, apiKey: this.box.open(p.sealedKey, providerBinding(p, p.binding), p.name), ...(rateLimited ? { rateLimited } : {}) };
  }
}

export function formatSelector(selector: Record<string, string>): string {
  return Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(',');
}

/**
 * A Cline task runs only where its provider's key may go: the provider's
 * selector joins the task's own. A key both name with different values can
 * match no node: refused at submission.
 */
export function withProviderSelector(taskSelector: Record<string, string>, provider: ProviderRecord): Record<string, string> {
  const selector = provider.binding === 3 ? (provider.nodeSelector ?? {}) : {};
  for (const [key, value] of Object.entries(selector)) {
    if (key in taskSelector && taskSelector[key] !== value) {
      throw new ValidationError(`spec.node_selector["${key}"]`, `is "${taskSelector[key]}", but provider "${provider.name}" runs only on nodes with ${key}=${value}`);
    }
  }
  return { ...taskSelector, ...selector };
}
