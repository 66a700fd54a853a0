import { ValidationError } from './errors.js';
import { checkTeamName } from './teams.js';
import { AGENT_NETWORKS, DELIVERY_MODES, type AgentNetwork, type ClineSpec, type DeliverySpec, type RetryPolicy, type TaskSpec } from './model.js';
import type { TaskSpec as TaskSpecInput } from '../proto/gen/fleet/v1/TaskSpec.js';

/** Limits on a task spec. Documented in the README; change them there too. */
export const SPEC_LIMITS = {
  imageChars: 512,
  commandArgs: 4096,
  commandBytes: 256 * 1024,
  envVars: 512,
  envValueBytes: 32 * 1024,
  envTotalBytes: 256 * 1024,
  labelChars: 128,
  selectorLabels: 32,
  maxTimeoutMs: 7 * 24 * 3_600_000,
  maxAttempts: 100,
  maxBackoffMs: 24 * 3_600_000,
  maxPriority: 1000,
  maxCpus: 1024,
  minMemoryBytes: 6 * 1024 * 1024,
  maxPidsLimit: 4_194_304,
  idempotencyKeyChars: 128,
  repoUrlChars: 2048,
  refChars: 256,
  /** One argv string is capped at 128 KiB by the kernel; Cline takes the prompt as one. */
  promptBytes: 120 * 1024,
  maxTokens: 1_000_000_000,
  maxCostUsd: 100_000,
  minStallTimeoutMs: 1_000,
  maxStallTimeoutMs: 24 * 3_600_000,
  minRepeatedToolCalls: 2,
  maxRepeatedToolCalls: 1000,
  providerNameChars: 63,
} as const;

export const SPEC_DEFAULTS = {
  timeoutMs: 3_600_000,
  maxAttempts: 1,
  initialBackoffMs: 1_000,
  maxBackoffMs: 300_000,
  backoffMultiplier: 2,
  clineProvider: 'default',
  stallTimeoutMs: 5 * 60_000,
  maxRepeatedToolCalls: 10,
} as const;

export const PROVIDER_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;
// git would read a leading "-" as an option and "ext::" as a command to run:
// only plain transports pass.
const REPO_URL_PATTERN = /^((https?|ssh|git|file):\/\/[^\s]+|[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^\s]+)$/;
const GIT_REF_PATTERN = /^[A-Za-z0-9._][A-Za-z0-9._\/-]*$/;

// A Docker image reference: [registry[:port]/]path[:tag][@digest]. Loose on
// purpose: Docker has the last word, but nothing with spaces or control bytes passes.
const IMAGE_PATTERN = /^[a-z0-9][a-z0-9._\-/:]*(@sha256:[a-f0-9]{64})?$/i;
const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
const LABEL_KEY_PATTERN = /^[A-Za-z0-9]([A-Za-z0-9._\-/]*[A-Za-z0-9])?$/;
const LABEL_VALUE_PATTERN = /^[A-Za-z0-9._\-]*$/;
const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9._:\-]+$/;

/** Throws a ValidationError naming `field` unless `image` is a plausible image reference. */
export function checkImage(field: string, image: string): string {
  if (image === '' || image.length > SPEC_LIMITS.imageChars || !IMAGE_PATTERN.test(image)) {
    throw new ValidationError(field, `"${image.slice(0, 80)}" is not a valid image reference`);
  }
  return image;
}

function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

function int(field: string, value: unknown, min: number, max: number): number {
  const n = Number(value ?? 0);
  if (!Number.isFinite(n) || !Number.isInteger(n)) throw new ValidationError(field, `must be a whole number, got ${String(value)}`);
  if (n < min) throw new ValidationError(field, min === 0 ? `must not be negative, got ${n}` : `must be at least ${min}, got ${n}`);
  if (n > max) throw new ValidationError(field, `must be at most ${max}, got ${n}`);
  return n;
}

export function validateLabels(field: string, labels: Record<string, string> | undefined, maxLabels: number): Record<string, string> {
  const out: Record<string, string> = {};
  const entries = Object.entries(labels ?? {});
  if (entries.length > maxLabels) throw new ValidationError(field, `has ${entries.length} labels; the limit is ${maxLabels}`);
  for (const [key, value] of entries) {
    if (key.length > SPEC_LIMITS.labelChars || !LABEL_KEY_PATTERN.test(key)) {
      // The key is the caller's: quoted and escaped, it cannot pass for part of the message or reach a terminal raw.
      throw new ValidationError(`${field}[${JSON.stringify(key.slice(0, 64))}]`, 'label keys are letters, digits, ".", "-", "_" and "/" (at most 128)');
    }
    if (typeof value !== 'string' || value.length > SPEC_LIMITS.labelChars || !LABEL_VALUE_PATTERN.test(value)) {
      throw new ValidationError(`${field}["${key}"]`, 'label values are letters, digits, ".", "-" and "_" (at most 128)');
    }
    out[key] = value;
  }
  return out;
}

function validateClineSpec(input: NonNullable<TaskSpecInput['cline']>): ClineSpec {
  const repoUrl = (input.repoUrl ?? '').trim();
  if (repoUrl === '') throw new ValidationError('spec.cline.repo_url', 'is required (e.g. https://git.example.com/team/app.git or file:///srv/repos/app)');
  if (repoUrl.length > SPEC_LIMITS.repoUrlChars || !REPO_URL_PATTERN.test(repoUrl)) {
    throw new ValidationError('spec.cline.repo_url', `"${repoUrl.slice(0, 80)}" is not a repository URL (https://, http://, ssh://, git://, file:// or user@host:path)`);
  }
  const ref = (input.ref ?? '').trim();
  if (ref !== '' && (ref.length > SPEC_LIMITS.refChars || !GIT_REF_PATTERN.test(ref) || ref.includes('..'))) {
    throw new ValidationError('spec.cline.ref', `"${ref.slice(0, 80)}" is not a branch, tag or commit name`);
  }
  const prompt = input.prompt ?? '';
  if (prompt.trim() === '') throw new ValidationError('spec.cline.prompt', 'is required: say what Cline should do');
  if (prompt.includes('\0')) throw new ValidationError('spec.cline.prompt', 'must not contain NUL bytes');
  const promptBytes = byteLength(prompt);
  if (promptBytes > SPEC_LIMITS.promptBytes) throw new ValidationError('spec.cline.prompt', `is ${promptBytes} bytes; the limit is ${SPEC_LIMITS.promptBytes}`);
  const provider = (input.provider ?? '') || SPEC_DEFAULTS.clineProvider;
  if (!PROVIDER_NAME_PATTERN.test(provider)) throw new ValidationError('spec.cline.provider', 'provider names are lower-case letters, digits, "-" and "_" (at most 63)');
  const maxCostUsd = Number(input.maxCostUsd ?? 0);
  if (!Number.isFinite(maxCostUsd) || maxCostUsd < 0 || maxCostUsd > SPEC_LIMITS.maxCostUsd) {
    throw new ValidationError('spec.cline.max_cost_usd', `must be between 0 and ${SPEC_LIMITS.maxCostUsd}, got ${input.maxCostUsd}`);
  }
  const stall = int('spec.cline.stall_timeout_ms', input.stallTimeoutMs, 0, SPEC_LIMITS.maxStallTimeoutMs) || SPEC_DEFAULTS.stallTimeoutMs;
  if (stall < SPEC_LIMITS.minStallTimeoutMs) throw new ValidationError('spec.cline.stall_timeout_ms', `must be at least ${SPEC_LIMITS.minStallTimeoutMs}, got ${stall}`);
  const repeats = int('spec.cline.max_repeated_tool_calls', input.maxRepeatedToolCalls, 0, SPEC_LIMITS.maxRepeatedToolCalls) || SPEC_DEFAULTS.maxRepeatedToolCalls;
  if (repeats < SPEC_LIMITS.minRepeatedToolCalls) {
    throw new ValidationError('spec.cline.max_repeated_tool_calls', `must be at least ${SPEC_LIMITS.minRepeatedToolCalls}, got ${repeats}`);
  }
  const wanted = (input.network ?? '') || 'none';
  const network = AGENT_NETWORKS.find((n) => n === wanted);
  if (!network) throw new ValidationError('spec.cline.network', `must be "none" or "bridge", got "${wanted.slice(0, 40)}"`);
  const delivery = validateDelivery(input, repoUrl);
  return {
    repoUrl,
    ref,
    prompt,
    provider,
    maxTokens: int('spec.cline.max_tokens', input.maxTokens, 0, SPEC_LIMITS.maxTokens),
    maxCostUsd,
    stallTimeoutMs: stall,
    maxRepeatedToolCalls: repeats,
    network,
    ...(delivery ? { delivery } : {}),
  };
}

/** Forge names: like provider names. */
export const FORGE_NAME_PATTERN = PROVIDER_NAME_PATTERN;
/**
 * A branch to push: what `git check-ref-format --branch` accepts, narrowed
 * to characters that need no quoting anywhere (no "@{", "~", "^", ":",
 * spaces or control characters), no "..", "//", ".lock" component, nor a
 * leading "-" or trailing "/" or ".".
 */
const BRANCH_PATTERN = /^(?!.*\.\.)(?!.*\/\/)(?!.*\.lock(?:\/|$))(?!.*\/\.)[A-Za-z0-9_][A-Za-z0-9._/-]*(?<![./])$/;
export const DELIVERY_LIMITS = { branchChars: 200, prTitleChars: 256 } as const;

export function checkBranchName(field: string, branch: string): string {
  if (branch === 'HEAD' || branch.startsWith('refs/')) throw new ValidationError(field, `"${branch.slice(0, 80)}" is not a branch name to push (give the name alone, without refs/heads/)`);
  if (branch.length > DELIVERY_LIMITS.branchChars || !BRANCH_PATTERN.test(branch)) {
    throw new ValidationError(field, `"${branch.slice(0, 80)}" is not a branch name git accepts (letters, digits, ".", "_", "-" and "/"; no "..", "//" or ".lock")`);
  }
  return branch;
}

/** A path segment of a repository URL a forge's token may go to: nothing any URL parser could read two ways. */
const PLAIN_PATH = /^\/[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)+\/?$/;

/**
 * An http(s) repository URL that every URL parser reads the same way: it is
 * its own canonical form (so no backslash, no escape, no dot segment, no
 * upper-case or non-ASCII host, no default port spelled out), it has no
 * credentials, query or fragment, and its path is plain segments. The forge
 * token goes to the host git reads from it; Node's reading must be git's.
 */
export function isPlainRepositoryUrl(text: string): boolean {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return false;
  }
  return (
    (url.protocol === 'https:' || url.protocol === 'http:') &&
    url.href === text &&
    !url.username &&
    !url.password &&
    !url.search &&
    !url.hash &&
    PLAIN_PATH.test(url.pathname) &&
    !url.pathname.split('/').some((s) => s === '.' || s === '..')
  );
}

/** `--deliver branch|pr`: a forge, an http(s) repository (the forge's token goes over HTTPS), a branch and a title that are safe anywhere. */
function validateDelivery(input: NonNullable<TaskSpecInput['cline']>, repoUrl: string): DeliverySpec | undefined {
  const mode = (input.deliver ?? '') || 'patch';
  if (!(DELIVERY_MODES as readonly string[]).includes(mode)) throw new ValidationError('spec.cline.deliver', `must be "patch", "branch" or "pr", got "${mode.slice(0, 40)}"`);
  const forge = (input.forge ?? '').trim();
  const branch = (input.branch ?? '').trim();
  const prTitle = (input.prTitle ?? '').trim();
  if (mode === 'patch') {
    const stray = forge ? 'spec.cline.forge' : branch ? 'spec.cline.branch' : prTitle ? 'spec.cline.pr_title' : '';
    if (stray) throw new ValidationError(stray, 'is for a delivered result: give --deliver branch or --deliver pr');
    return undefined;
  }
  if (forge === '') throw new ValidationError('spec.cline.forge', `is required with --deliver ${mode}: the forge (fleetctl forge list) that receives it`);
  if (!FORGE_NAME_PATTERN.test(forge)) throw new ValidationError('spec.cline.forge', 'forge names are lower-case letters, digits, "-" and "_" (at most 63)');
  if (!isPlainRepositoryUrl(repoUrl)) {
    throw new ValidationError('spec.cline.repo_url', `must be a plain https:// URL of the forge's repository (https://HOST/OWNER/NAME.git: no credentials, query, escapes or backslashes) to deliver a ${mode === 'pr' ? 'pull request' : 'branch'}`);
  }
  if (branch !== '') checkBranchName('spec.cline.branch', branch);
  if (prTitle.length > DELIVERY_LIMITS.prTitleChars || /[\u0000-\u001f\u007f]/.test(prTitle)) {
    throw new ValidationError('spec.cline.pr_title', `must be one line of at most ${DELIVERY_LIMITS.prTitleChars} characters`);
  }
  if (mode === 'branch' && prTitle !== '') throw new ValidationError('spec.cline.pr_title', 'is for --deliver pr');
  return { mode: mode as DeliverySpec['mode'], forge, branch, prTitle };
}

function validateCommand(command: string[] | undefined): string[] {
  const args = command ?? [];
  if (args.length === 0 || args[0] === '') throw new ValidationError('spec.command', 'must not be empty: give the program to run and its arguments');
  if (args.length > SPEC_LIMITS.commandArgs) throw new ValidationError('spec.command', `has ${args.length} arguments; the limit is ${SPEC_LIMITS.commandArgs}`);
  let total = 0;
  args.forEach((arg, i) => {
    if (arg.includes('\0')) throw new ValidationError(`spec.command[${i}]`, 'must not contain NUL bytes');
    total += byteLength(arg);
  });
  if (total > SPEC_LIMITS.commandBytes) throw new ValidationError('spec.command', `is ${total} bytes; the limit is ${SPEC_LIMITS.commandBytes}`);
  return [...args];
}

function validateEnv(env: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  const entries = Object.entries(env ?? {});
  if (entries.length > SPEC_LIMITS.envVars) throw new ValidationError('spec.env', `has ${entries.length} variables; the limit is ${SPEC_LIMITS.envVars}`);
  let total = 0;
  for (const [name, value] of entries) {
    if (!ENV_NAME_PATTERN.test(name) || name.length > 256) {
      throw new ValidationError(`spec.env["${name.slice(0, 64)}"]`, 'variable names are letters, digits and "_", not starting with a digit');
    }
    const size = byteLength(value);
    if (size > SPEC_LIMITS.envValueBytes) {
      throw new ValidationError(`spec.env["${name}"]`, `value is ${size} bytes; the limit is ${SPEC_LIMITS.envValueBytes}`);
    }
    if (value.includes('\0')) throw new ValidationError(`spec.env["${name}"]`, 'must not contain NUL bytes');
    total += size + byteLength(name);
    out[name] = value;
  }
  if (total > SPEC_LIMITS.envTotalBytes) throw new ValidationError('spec.env', `is ${total} bytes in all; the limit is ${SPEC_LIMITS.envTotalBytes}`);
  return out;
}

function validateRetry(input: TaskSpecInput['retry']): RetryPolicy {
  const maxAttempts = int('spec.retry.max_attempts', input?.maxAttempts, 0, SPEC_LIMITS.maxAttempts) || SPEC_DEFAULTS.maxAttempts;
  const initialBackoffMs = int('spec.retry.initial_backoff_ms', input?.initialBackoffMs, 0, SPEC_LIMITS.maxBackoffMs) || SPEC_DEFAULTS.initialBackoffMs;
  const maxBackoffMs = int('spec.retry.max_backoff_ms', input?.maxBackoffMs, 0, SPEC_LIMITS.maxBackoffMs) || Math.max(SPEC_DEFAULTS.maxBackoffMs, initialBackoffMs);
  if (maxBackoffMs < initialBackoffMs) {
    throw new ValidationError('spec.retry.max_backoff_ms', `must not be less than spec.retry.initial_backoff_ms (${initialBackoffMs})`);
  }
  const multiplier = Number(input?.backoffMultiplier ?? 0) || SPEC_DEFAULTS.backoffMultiplier;
  if (!Number.isFinite(multiplier) || multiplier < 1 || multiplier > 10) {
    throw new ValidationError('spec.retry.backoff_multiplier', `must be between 1 and 10, got ${input?.backoffMultiplier}`);
  }
  const codes = (input?.nonRetryableExitCodes ?? []).map((code, i) => int(`spec.retry.non_retryable_exit_codes[${i}]`, code, 0, 255));
  return { maxAttempts, initialBackoffMs, maxBackoffMs, backoffMultiplier: multiplier, nonRetryableExitCodes: [...new Set(codes)] };
}

/**
 * Turns a spec from the wire into a complete, valid TaskSpec with defaults
 * filled in, or throws a ValidationError naming the first bad field (in its
 * proto name). The CLI runs it too, so that a bad flag fails before any call.
 */
export function compileTaskSpec(input: TaskSpecInput | null | undefined): TaskSpec {
  if (!input) throw new ValidationError('spec', 'is required');
  const cline = input.cline ? validateClineSpec(input.cline) : undefined;
  const image = (input.image ?? '').trim();
  // A Cline task without an image gets the control plane's agent image.
  if (image === '' && !cline) throw new ValidationError('spec.image', 'is required (e.g. debian:12-slim)');
  if (cline && ((input.command ?? []).length > 0 || (input.workingDir ?? '') !== '')) {
    throw new ValidationError('spec.command', 'must be empty for a Cline task: the node agent starts Cline in /workspace itself');
  }
  for (const name of Object.keys(input.env ?? {})) {
    if (cline && name.startsWith('FLEET_')) throw new ValidationError(`spec.env["${name}"]`, 'names starting with FLEET_ are reserved for the agent image');
  }
  if (image !== '') checkImage('spec.image', image);
  const workingDir = input.workingDir ?? '';
  if (workingDir !== '' && (!workingDir.startsWith('/') || workingDir.includes('\0') || workingDir.length > 4096)) {
    throw new ValidationError('spec.working_dir', 'must be an absolute path');
  }
  const cpus = Number(input.resources?.cpus ?? 0);
  if (!Number.isFinite(cpus) || cpus < 0 || cpus > SPEC_LIMITS.maxCpus) {
    throw new ValidationError('spec.resources.cpus', `must be between 0 and ${SPEC_LIMITS.maxCpus}, got ${input.resources?.cpus}`);
  }
  const memoryBytes = int('spec.resources.memory_bytes', input.resources?.memoryBytes, 0, Number.MAX_SAFE_INTEGER);
  if (memoryBytes !== 0 && memoryBytes < SPEC_LIMITS.minMemoryBytes) {
    throw new ValidationError('spec.resources.memory_bytes', `must be 0 (no limit) or at least 6MiB, got ${memoryBytes}`);
  }
  const network = (input.network ?? '') === '' ? undefined : checkNetwork('spec.network', String(input.network));
  const user = (input.user ?? '') === '' ? '' : checkUser('spec.user', String(input.user));
  if (cline && (network || user || input.readOnlyRoot)) {
    throw new ValidationError(network ? 'spec.network' : user ? 'spec.user' : 'spec.read_only_root', 'is for plain tasks: a Cline task sets its network in spec.cline.network and runs as the agent image\'s user');
  }
  const idempotencyKey = input.idempotencyKey ?? '';
  if (idempotencyKey !== '' && (idempotencyKey.length > SPEC_LIMITS.idempotencyKeyChars || !IDEMPOTENCY_KEY_PATTERN.test(idempotencyKey))) {
    throw new ValidationError('spec.idempotency_key', 'is letters, digits, ".", "_", ":" and "-" (at most 128)');
  }
  const team = (input.team ?? '') === '' ? '' : checkTeamName('spec.team', input.team);
  return {
    image,
    command: cline ? [] : validateCommand(input.command),
    env: validateEnv(input.env),
    workingDir,
    resources: {
      cpus,
      memoryBytes,
      pidsLimit: int('spec.resources.pids_limit', input.resources?.pidsLimit, 0, SPEC_LIMITS.maxPidsLimit),
    },
    timeoutMs: int('spec.timeout_ms', input.timeoutMs, 0, SPEC_LIMITS.maxTimeoutMs) || SPEC_DEFAULTS.timeoutMs,
    retry: validateRetry(input.retry),
    nodeSelector: validateLabels('spec.node_selector', input.nodeSelector, SPEC_LIMITS.selectorLabels),
    priority: int('spec.priority', input.priority, -SPEC_LIMITS.maxPriority, SPEC_LIMITS.maxPriority),
    idempotencyKey,
    ...(cline ? { cline } : {}),
    ...(network ? { network } : {}),
    ...(input.readOnlyRoot ? { readOnlyRoot: true } : {}),
    ...(user ? { user } : {}),
    ...(team ? { team } : {}),
  };
}

/** A numeric user: names would need the image's /etc/passwd, and 0 is allowed only if asked for plainly. */
const USER_PATTERN = /^\d{1,10}(:\d{1,10})?$/;

export function checkUser(field: string, text: string): string {
  if (!USER_PATTERN.test(text)) throw new ValidationError(field, `must be a numeric UID or UID:GID (e.g. 1000:1000), got ${JSON.stringify(text.slice(0, 40))}`);
  return text;
}

export function checkNetwork(field: string, text: string): AgentNetwork {
  const network = AGENT_NETWORKS.find((n) => n === text);
  if (!network) throw new ValidationError(field, `must be "none" or "bridge", got ${JSON.stringify(text.slice(0, 40))}`);
  return network;
}

/** Bounds on what a Cline attempt returns. Documented in the README; change them there too. */
export const RESULT_LIMITS = {
  /** Larger patches fail the attempt with reason patch_too_large (one gRPC message carries it). */
  patchBytes: 8 * 1024 * 1024,
  /** Longer summaries are cut, with a marker. */
  summaryChars: 16 * 1024,
} as const;

/** Bounds on an LLM provider's settings (SetProvider, and the grant a node receives). */
export const PROVIDER_LIMITS = { nameChars: 63, baseUrlChars: 2048, modelChars: 256, apiKeyChars: 8192 } as const;
/** Fallback providers one provider may name (tried in order when it keeps failing). */
export const MAX_PROVIDER_FALLBACKS = 3;
/** The most a provider's --max-concurrent may say. */
export const MAX_PROVIDER_CONCURRENT = 100_000;
/** Model calls one Cline attempt may have in flight at its node's gateway, at most (--model-calls-per-attempt). */
export const MAX_CONCURRENT_CALLS = 64;
/** --max-rpm and --max-tpm, at most (far above any provider's limits, and inside a proto int32 / a double's exact integers). */
export const MAX_PROVIDER_RPM = 10_000_000;
export const MAX_PROVIDER_TPM = 1_000_000_000_000;
