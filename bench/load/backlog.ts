/**
 * Backlog: the nodes enroll but stay away while the tasks are submitted
 * (closed loop), so that all of them wait PENDING; once the control plane
 * has gone quiet, every node connects and the backlog drains. Measured: the
 * submission rate, how long the control plane took to go quiet, the drain
 * rate (over the whole drain, and between 10% and 90% done, without the
 * nodes' arrival and the tail), and the control plane's memory with the
 * whole backlog on it. Every task is then read back for the exactly-once
 * check.
 */
import { checkExactlyOnce, type ExactlyOnceReport } from './check.js';
import type { LoadOptions } from './options.js';
import type { SimCounters } from './protocol.js';
import type { PhaseTiming, Rig, Usage } from './rig.js';
import { reportTimeout } from './sim-fleet.js';
import { fixed, progress, summarize, type LatencySummary } from './stats.js';
import { Submitter } from './submitter.js';

export interface BacklogReport {
  setup: { enroll: PhaseTiming; connect: PhaseTiming };
  submit: { tasks: number; errors: number; firstErrors: string[]; durationMs: number; perSec: number; latencyMs: LatencySummary; usage: Usage };
  /** From the last submission until the control plane used under a tenth of a core. */
  quietAfterMs: number;
  drain: {
    /** From the nodes starting to connect until the last outcome was stored. */
    durationMs: number;
    tasksPerSec: number;
    /** Between 10% and 90% of the outcomes stored. */
    steadyTasksPerSec: number;
    /** From the nodes starting to connect until the first Assign arrived. */
    firstAssignMs: number;
    /** Tasks without a stored outcome when waiting for them stopped (the settle timeout). */
    unsettled: number;
    usage: Usage;
  };
  simulators: SimCounters;
  exactlyOnce: ExactlyOnceReport;
}

export async function runBacklog(rig: Rig, o: LoadOptions): Promise<BacklogReport> {
  const sims = rig.sims;
  const enroll = await rig.enroll();

  const submitter = new Submitter(rig.api, o.image);
  progress(`submitting ${o.tasks} tasks with ${o.concurrency} calls in flight; no node is connected`);
  const submitStart = rig.sampler.sample();
  const stopProgress = rig.every(() => `  submitted ${submitter.byTask.size}/${o.tasks} (${submitter.errors} errors)`);
  await submitter.closedLoop(o.concurrency, { count: o.tasks }).finally(stopProgress);
  const submitEnd = rig.sampler.sample();
  const taskIds = [...submitter.byTask.keys()];

  progress('waiting for the control plane to go quiet');
  const quietAfterMs = await rig.waitQuiet(o.settleTimeoutMs);

  const drainStart = rig.sampler.sample();
  const unsettled = () => taskIds.filter((id) => sims.succeededAt(id) === undefined).length;
  progress(`connecting the nodes: draining ${taskIds.length} tasks`);
  const stopDrainProgress = rig.every(() => `  outcomes stored ${taskIds.length - unsettled()}/${taskIds.length}`);
  const [connect] = await Promise.all([rig.connect(), sims.waitUntil('the backlog to drain', () => unsettled() === 0, o.settleTimeoutMs).catch(reportTimeout)]).finally(stopDrainProgress);
  // Resources are measured until now: the last outcomes reached this process at most half a second ago.
  const drainSampled = rig.sampler.sample();
  const stored = taskIds.map((id) => sims.succeededAt(id)).filter((at) => at !== undefined).sort((a, b) => a - b);
  const drainEnd = stored.at(-1) ?? drainSampled;
  const at = (fraction: number) => stored[Math.min(stored.length - 1, Math.floor(fraction * stored.length))] ?? drainEnd;
  const steadySpanMs = at(0.9) - at(0.1);
  let firstAssign = Number.POSITIVE_INFINITY;
  for (const assigns of sims.assignsByTask.values()) for (const a of assigns) firstAssign = Math.min(firstAssign, a.atMs);

  const simulators = await rig.stopNodes();
  progress(`reading back ${taskIds.length} tasks`);
  const exactlyOnce = await checkExactlyOnce(rig.api, taskIds, sims);
  return {
    setup: { enroll, connect },
    submit: {
      tasks: taskIds.length,
      errors: submitter.errors,
      firstErrors: submitter.firstErrors,
      durationMs: fixed(submitEnd - submitStart),
      perSec: fixed(taskIds.length / ((submitEnd - submitStart) / 1000)),
      latencyMs: summarize([...submitter.byTask.values()].map((s) => s.rttMs)),
      usage: rig.usage(submitStart, submitEnd),
    },
    quietAfterMs,
    drain: {
      durationMs: fixed(drainEnd - drainStart),
      tasksPerSec: fixed(stored.length / ((drainEnd - drainStart) / 1000)),
      steadyTasksPerSec: steadySpanMs > 0 ? fixed((0.8 * stored.length) / (steadySpanMs / 1000)) : 0,
      firstAssignMs: Number.isFinite(firstAssign) ? fixed(firstAssign - drainStart) : 0,
      unsettled: unsettled(),
      usage: rig.usage(drainStart, drainSampled),
    },
    simulators,
    exactlyOnce,
  };
}
