/**
 * Submitting tasks: closed loop (a fixed number of SubmitTask calls in
 * flight, each followed at once by the next) or open loop (a fixed rate,
 * whatever the answers). Every task is a plain `IMAGE true`; each
 * submission's start time and round trip are kept by task id.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { TaskSpec } from '../../proto/gen/fleet/v1/TaskSpec.js';
import { describe } from '../../node-agent/src/control-plane-client.js';
import type { FleetApi } from './api.js';
import { nowMs } from './protocol.js';

/** A closed-loop submitter pauses this long after an error, so that a refusing control plane is not hammered. */
const ERROR_PAUSE_MS = 100;
const OPEN_LOOP_TICK_MS = 5;
const ERRORS_KEPT = 5;

export interface Submission {
  submittedAtMs: number;
  rttMs: number;
}

export class Submitter {
  readonly byTask = new Map<string, Submission>();
  errors = 0;
  readonly firstErrors: string[] = [];
  maxInFlight = 0;
  private inFlight = 0;
  private readonly spec: TaskSpec;

  constructor(
    private readonly api: FleetApi,
    image: string,
  ) {
    this.spec = { image, command: ['true'] };
  }

  /** `concurrency` calls in flight until `untilMs`, or until `count` calls were made. */
  async closedLoop(concurrency: number, stop: { untilMs?: number; count?: number }): Promise<void> {
    const { untilMs = Number.POSITIVE_INFINITY, count = Number.POSITIVE_INFINITY } = stop;
    let started = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (started < count && nowMs() < untilMs) {
          started++;
          if (!(await this.submitOne())) await sleep(ERROR_PAUSE_MS);
        }
      }),
    );
  }

  /** `ratePerSec` calls a second, each started on time whatever the others do, until `untilMs`. */
  async openLoop(ratePerSec: number, untilMs: number): Promise<void> {
    const startedAt = nowMs();
    const pending = new Set<Promise<boolean>>();
    let issued = 0;
    while (nowMs() < untilMs) {
      const due = Math.floor(((nowMs() - startedAt) * ratePerSec) / 1000) + 1;
      for (; issued < due; issued++) {
        const call = this.submitOne();
        pending.add(call);
        void call.finally(() => pending.delete(call));
      }
      await sleep(OPEN_LOOP_TICK_MS);
    }
    await Promise.all(pending);
  }

  /** One SubmitTask; false if it failed (counted, the first few kept). */
  private async submitOne(): Promise<boolean> {
    const submittedAtMs = nowMs();
    this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
    try {
      const taskId = await this.api.submit(this.spec);
      this.byTask.set(taskId, { submittedAtMs, rttMs: nowMs() - submittedAtMs });
      return true;
    } catch (err) {
      this.errors++;
      if (this.firstErrors.length < ERRORS_KEPT) this.firstErrors.push(describe(err));
      return false;
    } finally {
      this.inFlight--;
    }
  }
}
