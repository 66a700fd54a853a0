/** Latency summaries for the report, and the progress lines on stderr. */

/** Percentiles (nearest rank) and the maximum, in ms rounded to 0.1; all zero for no values. */
export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

const round = (ms: number) => Math.round(ms * 10) / 10;

export function summarize(values: readonly number[]): LatencySummary {
  if (values.length === 0) return { count: 0, p50: 0, p90: 0, p99: 0, max: 0 };
  const sorted = Float64Array.from(values).sort();
  const rank = (q: number) => round(sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!);
  return { count: sorted.length, p50: rank(0.5), p90: rank(0.9), p99: rank(0.99), max: round(sorted[sorted.length - 1]!) };
}

/** Rounds a figure for the report: `digits` after the point. */
export const fixed = (value: number, digits = 1): number => Number(value.toFixed(digits));

const startedAt = Date.now();

/** A progress line on stderr, with the seconds since the bench started. */
export function progress(message: string): void {
  process.stderr.write(`[load +${((Date.now() - startedAt) / 1000).toFixed(1)}s] ${message}\n`);
}
