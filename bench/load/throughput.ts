/**
 * Throughput: every node connected, then tasks submitted closed loop (a
 * fixed number of calls in flight) or open loop (a fixed rate) through a
 * warm-up and the measurement window. Then no more submissions: every task
 * is awaited to its stored outcome (capped), and read back for the
 * exactly-once check.
 *
 * Tasks/s counts the outcomes stored within the window. Latencies are of
 * the tasks submitted within it: the SubmitTask round trip; submit → the
 * node received the Assign; submit → the control plane acknowledged the
 * node's `finished` event, which it does only once the SUCCEEDED outcome is
 * stored (the read-back confirms the state).
 */
import { checkExactlyOnce, type ExactlyOnceReport } from './check.js';
import type { LoadOptions } from './options.js';
import { nowMs, type SimCounters } from './protocol.js';
import type { PhaseTiming, Rig, Usage } from './rig.js';
import { reportTimeout } from './sim-fleet.js';
import { fixed, progress, summarize, type LatencySummary } from './stats.js';
import { Submitter } from './submitter.js';

export interface ThroughputReport {
  setup: { enroll: PhaseTiming; connect: PhaseTiming };
  tasks: {
    submitted: number;
    submitErrors: number;
    firstSubmitErrors: string[];
    maxSubmitsInFlight: number;
    /** Within the window. */
    submittedPerSec: number;
    succeededPerSec: number;
    /** Tasks without a stored outcome when waiting for them stopped (the settle timeout). */
    unsettled: number;
  };
  latencyMs: { submit: LatencySummary; submitToAssigned: LatencySummary; submitToSucceeded: LatencySummary; heartbeatAck: LatencySummary };
  usage: Usage;
  simulators: SimCounters;
  exactlyOnce: ExactlyOnceReport;
}

export async function runThroughput(rig: Rig, o: LoadOptions): Promise<ThroughputReport> {
  const setup = { enroll: await rig.enroll(), connect: await rig.connect() };
  const submitter = new Submitter(rig.api, o.image);
  const sims = rig.sims;
  const windowStart = nowMs() + o.warmupMs;
  const windowEnd = windowStart + o.durationMs;
  // Samples exactly at the window's edges.
  const edges = [setTimeout(() => rig.sampler.sample(), o.warmupMs), setTimeout(() => rig.sampler.sample(), o.warmupMs + o.durationMs)];
  progress(`submitting ${o.rate === null ? `with ${o.concurrency} calls in flight` : `${o.rate} tasks/s`}: ${o.warmupMs / 1000}s warm-up, then ${o.durationMs / 1000}s measured`);
  const stopProgress = rig.every(() => `  submitted ${submitter.byTask.size} (${submitter.errors} errors), outcomes stored ${sims.outcomes.size}`);
  try {
    if (o.rate === null) await submitter.closedLoop(o.concurrency, { untilMs: windowEnd });
    else await submitter.openLoop(o.rate, windowEnd);
  } finally {
    stopProgress();
  }
  const succeededAt = (taskId: string) => sims.succeededAt(taskId);
  const taskIds = [...submitter.byTask.keys()];
  const unsettled = () => taskIds.filter((id) => succeededAt(id) === undefined).length;
  progress(`waiting for ${unsettled()} task(s) still running to end`);
  await sims.waitUntil('every task to end', () => unsettled() === 0, o.settleTimeoutMs).catch(reportTimeout);
  edges.forEach(clearTimeout);

  const simulators = await rig.stopNodes();
  progress(`reading back ${taskIds.length} tasks`);
  const exactlyOnce = await checkExactlyOnce(rig.api, taskIds, sims);

  const inWindow = (atMs: number) => atMs >= windowStart && atMs <= windowEnd;
  const measured = [...submitter.byTask].filter(([, s]) => inWindow(s.submittedAtMs));
  const seconds = o.durationMs / 1000;
  const succeededInWindow = taskIds.filter((id) => inWindow(succeededAt(id) ?? 0)).length;
  const sinceSubmit = (at: (taskId: string) => number | undefined) =>
    summarize(
      measured.flatMap(([id, s]) => {
        const atMs = at(id);
        return atMs === undefined ? [] : [atMs - s.submittedAtMs];
      }),
    );
  return {
    setup,
    tasks: {
      submitted: taskIds.length,
      submitErrors: submitter.errors,
      firstSubmitErrors: submitter.firstErrors,
      maxSubmitsInFlight: submitter.maxInFlight,
      submittedPerSec: fixed(measured.length / seconds),
      succeededPerSec: fixed(succeededInWindow / seconds),
      unsettled: unsettled(),
    },
    latencyMs: {
      submit: summarize(measured.map(([, s]) => s.rttMs)),
      submitToAssigned: sinceSubmit((id) => sims.assignsByTask.get(id)?.[0]?.atMs),
      submitToSucceeded: sinceSubmit(succeededAt),
      heartbeatAck: summarize(sims.heartbeats.filter(([sentAt]) => inWindow(sentAt)).map(([, ms]) => ms)),
    },
    usage: rig.usage(windowStart, windowEnd),
    simulators,
    exactlyOnce,
  };
}
