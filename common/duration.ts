import { ValidationError } from './errors.js';

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const DURATION_PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;

/**
 * Parses a Go-style duration ("90s", "1h30m", "250ms", "1.5h") into milliseconds.
 * A bare number is refused: "10" is ambiguous between seconds and minutes.
 */
export function parseDuration(field: string, text: string): number {
  const input = text.trim();
  if (input === '') throw new ValidationError(field, 'must not be empty (e.g. 30s, 5m, 1h30m)');
  if (input.startsWith('-')) throw new ValidationError(field, `must not be negative, got "${text}"`);
  let total = 0;
  DURATION_PART.lastIndex = 0;
  let index = 0;
  while (index < input.length) {
    DURATION_PART.lastIndex = index;
    const match = DURATION_PART.exec(input);
    if (!match) {
      throw new ValidationError(field, `"${text}" is not a duration (e.g. 30s, 5m, 1h30m, 250ms)`);
    }
    total += Number(match[1]) * UNIT_MS[match[2] as string]!;
    index = DURATION_PART.lastIndex;
  }
  if (!Number.isFinite(total) || total > Number.MAX_SAFE_INTEGER) {
    throw new ValidationError(field, `"${text}" is too long`);
  }
  return Math.round(total);
}

export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(ms % 1_000 === 0 ? 0 : 1)}s`;
  const parts: string[] = [];
  let rest = Math.round(ms / 1_000);
  for (const [unit, seconds] of [['d', 86_400], ['h', 3_600], ['m', 60], ['s', 1]] as const) {
    const n = Math.floor(rest / seconds);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * seconds;
  }
  return parts.join('');
}

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1000,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1000 ** 4,
  tib: 1024 ** 4,
};

/** Parses "512m", "2GiB", "1.5g", "1048576" into bytes (k/m/g as Docker reads them: powers of 1024). */
export function parseSize(field: string, text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  const unit = SIZE_UNITS[(match?.[2] ?? '').toLowerCase()];
  if (!match || unit === undefined) {
    throw new ValidationError(field, `"${text}" is not a size (e.g. 512m, 2g, 1GiB)`);
  }
  const bytes = Math.round(Number(match[1]) * unit);
  if (!Number.isSafeInteger(bytes)) throw new ValidationError(field, `"${text}" is too large`);
  return bytes;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let i = 0;
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024;
    i++;
  }
  return `${value.toFixed(i === 0 || value >= 100 ? 0 : 1)}${units[i]}`;
}
