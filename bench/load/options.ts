/**
 * The load bench's flags: parsed, checked, and completed with each mode's
 * defaults. A bad flag is a UsageError naming it (the bench exits 2).
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseDuration } from '../../common/duration.js';
import { MAX_SLOTS } from '../../common/node-info.js';
import { checkImage } from '../../common/task-spec.js';

export const MODES = ['throughput', 'heartbeat', 'backlog'] as const;
export type Mode = (typeof MODES)[number];

export interface LoadOptions {
  mode: Mode;
  nodes: number;
  slots: number;
  /** Closed loop: SubmitTask calls in flight (throughput without --rate, backlog). */
  concurrency: number;
  /** Open loop: tasks per second (throughput); null: closed loop. */
  rate: number | null;
  /** The measurement window (throughput, heartbeat). */
  durationMs: number;
  /** Load before the window (throughput: submitting; heartbeat: heartbeating). */
  warmupMs: number;
  /** Tasks queued before any node connects (backlog). */
  tasks: number;
  heartbeatIntervalMs: number;
  /** Heartbeat mode: restart a control plane after the window and time the nodes' return. */
  restartReplica: boolean;
  image: string;
  simProcs: number;
  /**
   * Enrollments in flight at once, over all simulator processes. The agent
   * gives up an Enroll call after 15s; more in flight than the control plane
   * enrolls in that time only turns into retries.
   */
  enrollConcurrency: number;
  /** First connections in flight at once, over all simulator processes. */
  connectConcurrency: number;
  /** Cap on waiting for tasks to end, nodes to reconnect, a backlog to drain. */
  settleTimeoutMs: number;
  /** The build measured (its dist/), and the one measured before it with --compare-dist. */
  cpDist: string;
  compareDist: string | null;
  /** The control planes' metrics: on and scraped every 5s (the default), or off. */
  metrics: 'off' | 'scraped';
  /** Runs the build twice, metrics off then on (scraped): what metrics cost. */
  compareMetrics: boolean;
  cluster: boolean;
  controlPlanes: number;
  check: boolean;
  keep: boolean;
  /** Write the control planes' CPU profiles (node --cpu-prof) here; null: none. */
  cpProfileDir: string | null;
}

export class UsageError extends Error {}

/** This checkout's dist/ (the bench runs from dist/bench/load/). */
export const OWN_DIST = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const USAGE = `usage: npm run bench:load -- [--mode throughput|heartbeat|backlog] [flags]

every mode:  --nodes N  --slots 8  --heartbeat-interval 5s  --image busybox  --sim-procs K
             --enroll-concurrency 50  --connect-concurrency 200  --settle-timeout D
             --cp-dist DIR  --compare-dist DIR  --cluster [--control-planes 3]  --keep  --cp-profile DIR
             --metrics scraped|off  --compare-metrics (off, then scraped: what metrics cost)
throughput:  (--nodes 50)     --concurrency 50 | --rate R  --duration 20s  --warmup 3s  --check
heartbeat:   (--nodes 10000)  --duration 30s  --warmup INTERVAL  --restart-replica
backlog:     (--nodes 50)     --tasks 100000  --concurrency 50  --check
`;

/** Flags that belong to some modes only. */
const MODE_FLAGS: Record<string, readonly Mode[]> = {
  concurrency: ['throughput', 'backlog'],
  rate: ['throughput'],
  duration: ['throughput', 'heartbeat'],
  warmup: ['throughput', 'heartbeat'],
  tasks: ['backlog'],
  'restart-replica': ['heartbeat'],
  check: ['throughput', 'backlog'],
};

function positiveInt(flag: string, text: string, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(text);
  const range = max === Number.MAX_SAFE_INTEGER ? 'of at least 1' : `from 1 to ${max}`;
  if (!/^\d+$/.test(text) || n < 1 || n > max) throw new UsageError(`--${flag}: must be a whole number ${range}, got "${text}"`);
  return n;
}

function duration(flag: string, text: string, minMs: number): number {
  let ms: number;
  try {
    ms = parseDuration(`--${flag}`, text);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (ms < minMs) throw new UsageError(`--${flag}: must be at least ${minMs}ms, got "${text}"`);
  return ms;
}

function image(text: string): string {
  try {
    return checkImage('--image', text);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function dist(flag: string, dir: string): string {
  const path = resolve(dir);
  if (!existsSync(join(path, 'control-plane', 'src', 'main.js'))) throw new UsageError(`--${flag}: ${path} holds no control-plane/src/main.js (give a build's dist/ directory)`);
  return path;
}

export function parseOptions(argv: string[]): LoadOptions | 'help' {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        mode: { type: 'string' },
        nodes: { type: 'string' },
        slots: { type: 'string' },
        concurrency: { type: 'string' },
        rate: { type: 'string' },
        duration: { type: 'string' },
        warmup: { type: 'string' },
        tasks: { type: 'string' },
        'heartbeat-interval': { type: 'string' },
        'restart-replica': { type: 'boolean' },
        image: { type: 'string' },
        'sim-procs': { type: 'string' },
        'enroll-concurrency': { type: 'string' },
        'connect-concurrency': { type: 'string' },
        'settle-timeout': { type: 'string' },
        'cp-dist': { type: 'string' },
        'compare-dist': { type: 'string' },
        metrics: { type: 'string' },
        'compare-metrics': { type: 'boolean' },
        cluster: { type: 'boolean' },
        'control-planes': { type: 'string' },
        check: { type: 'boolean' },
        keep: { type: 'boolean' },
        'cp-profile': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return 'help';
  const text = (flag: string) => values[flag] as string | undefined;

  const modeText = text('mode') ?? 'throughput';
  const mode = MODES.find((m) => m === modeText);
  if (!mode) throw new UsageError(`--mode: must be one of ${MODES.join(', ')}, got "${modeText}"`);
  for (const [flag, modes] of Object.entries(MODE_FLAGS)) {
    if (values[flag] !== undefined && !modes.includes(mode)) throw new UsageError(`--${flag}: only with --mode ${modes.join(' or ')}`);
  }
  if (values.rate !== undefined && values.concurrency !== undefined) throw new UsageError('--rate: give either --rate (open loop) or --concurrency (closed loop), not both');
  if (values['control-planes'] !== undefined && !values.cluster) throw new UsageError('--control-planes: only with --cluster (the embedded NATS serves one control plane)');

  const nodes = positiveInt('nodes', text('nodes') ?? (mode === 'heartbeat' ? '10000' : '50'));
  const rateText = text('rate');
  const rate = rateText === undefined ? null : Number(rateText);
  if (rate !== null && !(rate > 0 && Number.isFinite(rate))) throw new UsageError(`--rate: must be a number of tasks per second above 0, got "${rateText}"`);
  const heartbeatIntervalMs = duration('heartbeat-interval', text('heartbeat-interval') ?? '5s', 100);
  const tasks = positiveInt('tasks', text('tasks') ?? '100000');
  const simProcs = positiveInt('sim-procs', text('sim-procs') ?? String(nodes <= 1_000 ? 1 : nodes <= 4_000 ? 2 : 4), nodes);
  const defaultSettle = mode === 'backlog' ? Math.max(120_000, tasks * 10) : mode === 'heartbeat' ? 120_000 : 60_000;
  const compareDist = text('compare-dist');
  const metricsText = text('metrics') ?? 'scraped';
  if (metricsText !== 'scraped' && metricsText !== 'off') throw new UsageError(`--metrics: must be scraped or off, got "${metricsText}"`);
  if (values['compare-metrics'] && (compareDist !== undefined || values.metrics !== undefined)) throw new UsageError('--compare-metrics: runs metrics off then on with one build; not with --compare-dist or --metrics');
  return {
    metrics: metricsText,
    compareMetrics: Boolean(values['compare-metrics']),
    mode,
    nodes,
    slots: positiveInt('slots', text('slots') ?? '8', MAX_SLOTS),
    concurrency: positiveInt('concurrency', text('concurrency') ?? '50'),
    rate,
    durationMs: duration('duration', text('duration') ?? (mode === 'heartbeat' ? '30s' : '20s'), 1_000),
    warmupMs: duration('warmup', text('warmup') ?? (mode === 'heartbeat' ? `${heartbeatIntervalMs}ms` : '3s'), 0),
    tasks,
    heartbeatIntervalMs,
    restartReplica: Boolean(values['restart-replica']),
    image: image(text('image') ?? 'busybox'),
    simProcs,
    enrollConcurrency: positiveInt('enroll-concurrency', text('enroll-concurrency') ?? '50'),
    connectConcurrency: positiveInt('connect-concurrency', text('connect-concurrency') ?? '200'),
    settleTimeoutMs: duration('settle-timeout', text('settle-timeout') ?? `${defaultSettle}ms`, 1_000),
    cpDist: dist('cp-dist', text('cp-dist') ?? OWN_DIST),
    compareDist: compareDist === undefined ? null : dist('compare-dist', compareDist),
    cluster: Boolean(values.cluster),
    controlPlanes: values.cluster ? positiveInt('control-planes', text('control-planes') ?? '3', 16) : 1,
    check: Boolean(values.check),
    keep: Boolean(values.keep),
    cpProfileDir: text('cp-profile') === undefined ? null : resolve(text('cp-profile')!),
  };
}
