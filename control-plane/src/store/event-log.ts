/**
 * The history of task and node changes in FLEET_EVENTS: one JSON event per
 * change, written after the KV change it describes (KV is the truth; this
 * is who did what when, and the base for point-in-time restore). Events are
 * group-committed (`group-commit.ts`): under load one message carries every
 * event of a round trip, subject `fleet.events.batch`, body a JSON array.
 */
import type { JetStreamClient } from '@nats-io/jetstream';
import type { Logger } from '../../../common/logger.js';
import { GroupCommit } from './group-commit.js';

export const EVENTS_SUBJECT = 'fleet.events.batch';
/**
 * How long an event waits for others before its batch goes. Nothing waits
 * for an event to be stored, so this costs no caller anything; at a steady
 * few hundred tasks a second it turns a publish per turn (most of the
 * replica's JetStream requests at that rate) into one per linger.
 */
export const EVENTS_LINGER_MS = 20;

export type FleetEvent =
  | { type: 'task.submitted'; taskId: string }
  | { type: 'task.assigned'; taskId: string; attemptId: string; nodeId: string; leaderEpoch: number }
  | { type: 'task.started'; taskId: string; attemptId: string; nodeId: string }
  | { type: 'task.attempt_finished'; taskId: string; attemptId: string; nodeId: string; state: string; exitCode?: number; reason?: string; taskState: string }
  | { type: 'task.cancelled'; taskId: string; reason: string }
  | { type: 'task.unplaceable'; taskId: string; reason: string }
  | { type: 'task.delivered'; taskId: string; branch: string; commit: string; prUrl?: string; prNumber?: number }
  | { type: 'task.delivery_failed'; taskId: string; error: string; retryable: boolean; taskState: string }
  | { type: 'task.redeliver'; taskId: string }
  | { type: 'task.expired'; taskId: string; state: string }
  | { type: 'node.enrolled'; nodeId: string; name: string; joinTokenId: string; certificateExpiresAtMs: number }
  | { type: 'node.certificate_renewed'; nodeId: string; certificateExpiresAtMs: number }
  | { type: 'node.revoked'; nodeId: string; name: string }
  | { type: 'node.status'; nodeId: string; status: string }
  | { type: 'rollout.changed'; rolloutId: string; image: string; state: string; percent: number; reason: string };

export class EventLog {
  private readonly batches: GroupCommit;
  /** Events lost since the last warning: at most one line a second, not one per event. */
  private lost = 0;
  private warnedAtMs = 0;

  constructor(js: JetStreamClient, private readonly log: Logger) {
    this.batches = new GroupCommit(async (subject, payload) => void (await js.publish(subject, payload)), 'the event log', EVENTS_LINGER_MS);
  }

  /** Stores what lingers now (the replica is stopping). */
  settle(): Promise<void> {
    return this.batches.settle();
  }

  /** Best effort: a lost event must not fail the change it follows. */
  record(event: FleetEvent, now: number = Date.now()): void {
    this.batches.add(EVENTS_SUBJECT, { ...event, atMs: now }).catch((err: unknown) => {
      this.lost++;
      if (Date.now() - this.warnedAtMs < 1_000) return;
      this.warnedAtMs = Date.now();
      this.log.warn({ err: (err as Error)?.message ?? String(err), lost: this.lost }, 'events not recorded in the event log');
      this.lost = 0;
    });
  }
}
