import { ValidationError } from './errors.js';
import type { RetryPolicy, TaskSpec } from './model.js';
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
} as const;

export const SPEC_DEFAULTS = {
  timeoutMs: 3_600_000,
  maxAttempts: 1,
  initialBackoffMs: 1_000,
  maxBackoffMs: 300_000,
  backoffMultiplier: 2,
} as const;

// A Docker image reference: [registry[:port]/]path[:tag][@digest]. Loose on
// purpose: Docker has the last word, but nothing with spaces or control bytes passes.
const IMAGE_PATTERN = /^[a-z0-9][a-z0-9._\-/:]*(@sha256:[a-f0-9]{64})?$/i;
const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
const LABEL_KEY_PATTERN = /^[A-Za-z0-9]([A-Za-z0-9._\-/]*[A-Za-z0-9])?$/;
const LABEL_VALUE_PATTERN = /^[A-Za-z0-9._\-]*$/;
const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9._:\-]+$/;

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
      throw new ValidationError(`${field}["${key.slice(0, 64)}"]`, 'label keys are letters, digits, ".", "-", "_" and "/" (at most 128)');
    }
    if (typeof value !== 'string' || value.length > SPEC_LIMITS.labelChars || !LABEL_VALUE_PATTERN.test(value)) {
      throw new ValidationError(`${field}["${key}"]`, 'label values are letters, digits, ".", "-" and "_" (at most 128)');
    }
    out[key] = value;
  }
  return out;
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
  const image = (input.image ?? '').trim();
  if (image === '') throw new ValidationError('spec.image', 'is required (e.g. debian:12-slim)');
  if (image.length > SPEC_LIMITS.imageChars || !IMAGE_PATTERN.test(image)) {
    throw new ValidationError('spec.image', `"${image.slice(0, 80)}" is not a valid image reference`);
  }
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
  const idempotencyKey = input.idempotencyKey ?? '';
  if (idempotencyKey !== '' && (idempotencyKey.length > SPEC_LIMITS.idempotencyKeyChars || !IDEMPOTENCY_KEY_PATTERN.test(idempotencyKey))) {
    throw new ValidationError('spec.idempotency_key', 'is letters, digits, ".", "_", ":" and "-" (at most 128)');
  }
  return {
    image,
    command: validateCommand(input.command),
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
  };
}
