/**
 * The audit trail: one JSON event per task or node change in FLEET_EVENTS.
 * It is written after the KV change it describes; KV is the truth, the event
 * log is history (who did what when) and the base for point-in-time restore.
 */
import type { JetStreamClient } from '@nats-io/jetstream';
import type { Logger } from '../../../common/logger.js';

export type FleetEvent =
  | { type: 'task.submitted'; taskId: string }
  | { type: 'task.assigned'; taskId: string; attemptId: string; nodeId: string; leaderEpoch: number }
  | { type: 'task.started'; taskId: string; attemptId: string; nodeId: string }
  | { type: 'task.attempt_finished'; taskId: string; attemptId: string; nodeId: string; state: string; exitCode?: number; reason?: string; taskState: string }
  | { type: 'task.cancelled'; taskId: string; reason: string }
  | { type: 'task.unplaceable'; taskId: string; reason: string }
  | { type: 'task.expired'; taskId: string; state: string }
  | { type: 'node.enrolled'; nodeId: string; name: string; joinTokenId: string; certificateExpiresAtMs: number }
  | { type: 'node.certificate_renewed'; nodeId: string; certificateExpiresAtMs: number }
  | { type: 'node.revoked'; nodeId: string; name: string }
  | { type: 'node.status'; nodeId: string; status: string };

export class EventLog {
  private readonly encoder = new TextEncoder();
  constructor(
    private readonly js: JetStreamClient,
    private readonly log: Logger,
  ) {}

  /** Best effort: a lost audit event must not fail the change it follows. */
  record(event: FleetEvent, now: number = Date.now()): void {
    const subject = 'taskId' in event ? `fleet.events.task.${event.taskId}` : `fleet.events.node.${event.nodeId}`;
    this.js.publish(subject, this.encoder.encode(JSON.stringify({ ...event, atMs: now }))).catch((err: unknown) => {
      this.log.warn({ err, event: event.type }, 'audit event not recorded');
    });
  }
}
