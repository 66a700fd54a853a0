/**
 * The agent's own drain, before it stops (a second SIGTERM, or
 * --drain-on-stop): it takes no new work, lets running attempts finish until
 * the drain deadline, then stops what is left (their tasks are requeued
 * elsewhere, spending no budget). The decisions are pure functions; `drain`
 * is the one thin loop around them. The control plane's drains (an operator
 * draining a node) are in `control-plane/src/drain/`.
 */
import type { Clock } from '../../common/clock.js';
import type { Logger } from '../../common/logger.js';

/** running → draining (no new work; running attempts may finish) → stopped. */
export type AgentState = 'running' | 'draining' | 'stopped';

/** How often the drain loop looks at what still runs. */
export const DRAIN_POLL_MS = 200;

/** Whether the agent takes an Assign in this state; one it does not take goes back as LOST (an infrastructure outcome). */
export function admitsWork(state: AgentState): boolean {
  return state === 'running';
}

export type DrainStep = 'wait' | 'stop-the-rest' | 'done';

/** One look at a drain: wait for running attempts, stop them once the deadline has passed, or done. */
export function drainStep(running: number, now: number, deadlineAtMs: number): DrainStep {
  if (running === 0) return 'done';
  return now < deadlineAtMs ? 'wait' : 'stop-the-rest';
}

export interface DrainTarget {
  nodeName: string;
  running(): number;
  /** Stops every attempt (reported LOST, so their tasks are requeued at once). */
  stopAll(reason: string, graceMs: number): void;
}

/** Resolves once nothing runs: finished by itself before the deadline, or stopped after it. */
export async function drain(target: DrainTarget, deadlineMs: number, graceMs: number, clock: Clock, log: Logger, sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))): Promise<void> {
  const deadlineAtMs = clock.now() + deadlineMs;
  log.info({ attempts: target.running(), deadlineMs }, 'draining before stop');
  let stopped = false;
  for (;;) {
    const step = drainStep(target.running(), clock.now(), deadlineAtMs);
    if (step === 'done') break;
    if (step === 'stop-the-rest' && !stopped) {
      stopped = true;
      target.stopAll(`node ${target.nodeName} stopped after its drain deadline`, graceMs);
    }
    await sleep(DRAIN_POLL_MS);
  }
  log.info('drained');
}
