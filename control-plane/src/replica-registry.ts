/**
 * Which replicas are up, and since when each was last heard from. Each
 * replica refreshes its own entry in a KV bucket whose entries expire after
 * REPLICA_TTL_MS, so a replica that dies drops out of `fleetctl cluster
 * status` by itself.
 *
 * The entry is also how a replica vouches for the nodes whose sessions it
 * holds: their heartbeats are not written one by one (see
 * `heartbeatNeedsWrite`). A replica acknowledges heartbeats only while its
 * own entry was stored within the vouching window (`vouching`), so a replica
 * cut off from the store stops telling its nodes they are seen; and the
 * leader counts a READY node as alive until the window after it last heard
 * from the node's replica (`vouchedUntil`, used by `lastContactMs`). An
 * agent's last acknowledgement therefore never comes later than the contact
 * the leader counts, and the stop margin between the agents' cut-off and
 * DOWN is what it was when every heartbeat was written.
 */
import type { Clock } from '../../common/clock.js';
import type { Logger } from '../../common/logger.js';
import { errorMessage } from '../../common/errors.js';
import { InFlight } from '../../common/self-check.js';
import type { KvRecords } from './store/kv-records.js';
import { LiveView } from './store/live-view.js';
import type { ReplicaRecord } from './store/records.js';

export class ReplicaRegistry {
  private timer: NodeJS.Timeout | undefined;
  private readonly startedAtMs: number;
  /** When this replica's entry was last stored (its clock). */
  private lastStoredMs = 0;
  /** When this replica last heard from each replica (its own clock, not theirs: clocks differ). */
  private readonly heardFrom = new Map<string, number>();
  private readonly view: LiveView<ReplicaRecord>;
  /** For the self-check: a registration write that does not end (the replica's sessions hang on it). */
  readonly refreshes = new InFlight('replica registration', 30_000);

  constructor(
    private readonly records: KvRecords<ReplicaRecord>,
    private readonly self: { id: string; address: string },
    private readonly facts: () => { nodeSessions: number; leader: boolean; serving: boolean },
    private readonly clock: Clock,
    private readonly log: Logger,
    /** The agents' heartbeat interval: the entry is refreshed every half of it (see `vouchingWindowMs`). */
    private readonly heartbeatIntervalMs: number,
  ) {
    this.startedAtMs = clock.now();
    const heard = (id: string) => this.heardFrom.set(id, this.clock.now());
    this.view = new LiveView(records, { reset: (snapshot) => snapshot.forEach((c) => !c.deleted && heard(c.key)), change: (c) => !c.deleted && heard(c.key) }, log);
  }

  /** Stores the first entry and starts following everyone's. */
  async start(): Promise<void> {
    await this.refresh();
    await this.view.start();
    this.timer = setInterval(() => void this.refresh(), Math.max(50, Math.floor(this.heartbeatIntervalMs / 2)));
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.view.stop();
    await this.records.delete(this.self.id).catch(() => {});
  }

  /** Publish now (a change worth showing at once, such as leadership). */
  refresh(): Promise<void> {
    return this.refreshes.track(this.refreshNow());
  }

  private async refreshNow(): Promise<void> {
    const record: ReplicaRecord = { ...this.self, startedAtMs: this.startedAtMs, lastSeenMs: this.clock.now(), ...this.facts() };
    const startedMs = this.clock.now();
    await this.records.put(this.self.id, record).then(
      () => (this.lastStoredMs = Math.max(this.lastStoredMs, startedMs)),
      (err: unknown) => this.log.debug({ err: errorMessage(err) }, 'replica registration not refreshed'),
    );
  }

  /** The entry was stored within the vouching window: this replica may acknowledge heartbeats. */
  vouching(now: number): boolean {
    return now - this.lastStoredMs <= vouchingWindowMs(this.heartbeatIntervalMs);
  }

  /** Until when `replicaId` may have acknowledged its nodes' heartbeats, as far as this replica knows (0: not heard from). */
  vouchedUntil(replicaId: string): number {
    const heard = this.heardFrom.get(replicaId);
    return heard === undefined ? 0 : heard + vouchingWindowMs(this.heartbeatIntervalMs);
  }

  async list(): Promise<ReplicaRecord[]> {
    return (await this.records.list()).map((r) => r.value).sort((a, b) => a.startedAtMs - b.startedAtMs);
  }
}

/**
 * How long after its entry was last stored a replica may still acknowledge
 * heartbeats: two heartbeat intervals (four refreshes), so that a slow write
 * or two does not end every session on the replica.
 */
export function vouchingWindowMs(heartbeatIntervalMs: number): number {
  return 2 * heartbeatIntervalMs;
}
