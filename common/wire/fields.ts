/**
 * Checks for single fields as they come off the wire. proto-loader fills in
 * defaults, so a missing scalar arrives as its zero value, but a peer on
 * another version (or a hand-made message) can still send anything: every
 * decoder reads through these, so that a bad value becomes a ValidationError
 * naming the field (in its proto form, `event.finished.state`), never a cast.
 */
import { ValidationError } from '../errors.js';

export function str(field: string, value: unknown, maxChars = Number.POSITIVE_INFINITY): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new ValidationError(field, `must be a string, got ${typeof value}`);
  if (value.length > maxChars) throw new ValidationError(field, `is ${value.length} characters; the limit is ${maxChars}`);
  return value;
}

/** A string cut to `maxChars`: for free text (errors, messages) where too long is not worth a refusal. */
export function text(field: string, value: unknown, maxChars: number): string {
  return str(field, value).slice(0, maxChars);
}

export function int(field: string, value: unknown, min: number, max: number): number {
  const n = value === undefined || value === null ? 0 : Number(value);
  if (typeof value === 'boolean' || !Number.isInteger(n)) throw new ValidationError(field, `must be a whole number, got ${String(value).slice(0, 40)}`);
  if (n < min || n > max) throw new ValidationError(field, `must be between ${min} and ${max}, got ${n}`);
  return n;
}

/** A count or a time in ms: a whole number, not negative. */
export function count(field: string, value: unknown): number {
  return int(field, value, 0, Number.MAX_SAFE_INTEGER);
}

export function num(field: string, value: unknown, min: number, max: number): number {
  const n = value === undefined || value === null ? 0 : Number(value);
  if (typeof value === 'boolean' || !Number.isFinite(n)) throw new ValidationError(field, `must be a number, got ${String(value).slice(0, 40)}`);
  if (n < min || n > max) throw new ValidationError(field, `must be between ${min} and ${max}, got ${n}`);
  return n;
}

export function bool(field: string, value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') throw new ValidationError(field, `must be true or false, got ${String(value).slice(0, 40)}`);
  return value;
}

export function bytes(field: string, value: unknown, maxBytes: number): Uint8Array {
  if (value === undefined || value === null) return new Uint8Array(0);
  if (!(value instanceof Uint8Array)) throw new ValidationError(field, 'must be bytes');
  if (value.length > maxBytes) throw new ValidationError(field, `is ${value.length} bytes; the limit is ${maxBytes}`);
  return value;
}

/** A repeated field: a list of at most `maxItems`. */
export function listOf<T>(field: string, value: readonly T[] | null | undefined, maxItems: number): readonly T[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new ValidationError(field, 'must be a list');
  if (value.length > maxItems) throw new ValidationError(field, `has ${value.length} items; the limit is ${maxItems}`);
  return value;
}

export function strings(field: string, value: unknown, maxItems: number, maxChars: number): string[] {
  return listOf(field, value as unknown[] | null | undefined, maxItems).map((v, i) => str(`${field}[${i}]`, v, maxChars));
}

export function stringMap(field: string, value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new ValidationError(field, 'must be a map of strings');
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) out[key] = str(`${field}["${key.slice(0, 64)}"]`, v);
  return out;
}

/**
 * A proto enum (proto-loader gives its name, `TASK_STATE_PENDING`) as the
 * domain's name (`PENDING`). UNSPECIFIED is refused unless `unspecified` says
 * what it means.
 */
export function enumName<T extends string>(field: string, value: unknown, prefix: string, names: readonly T[], what: string): T {
  const wire = String(value ?? '');
  const name = wire.startsWith(prefix) ? wire.slice(prefix.length) : '';
  const found = names.find((n) => n === name);
  if (found === undefined) throw new ValidationError(field, `"${wire.slice(0, 60)}" is not ${what} (one of ${names.join(', ')})`);
  return found;
}

/** As `enumName`, but UNSPECIFIED (or an absent value) is allowed and decodes to null. */
export function optionalEnumName<T extends string>(field: string, value: unknown, prefix: string, names: readonly T[], what: string): T | null {
  const wire = String(value ?? '');
  if (wire === '' || wire === `${prefix}UNSPECIFIED` || wire === '0') return null;
  return enumName(field, value, prefix, names, what);
}

/** A present sub-message, or a ValidationError saying it is required. */
export function required<T>(field: string, value: T | null | undefined): T {
  if (value === undefined || value === null) throw new ValidationError(field, 'is required');
  return value;
}
