/**
 * Which replicas are up: each refreshes its own entry in a KV bucket whose
 * entries expire after REPLICA_TTL_MS, so a replica that dies drops out of
 * `fleetctl cluster status` by itself.
 */
import type { Clock } from '../../common/clock.js';
import type { Logger } from '../../common/logger.js';
import { errorMessage } from '../../common/errors.js';
import type { KvRecords } from './store/kv-records.js';
import type { ReplicaRecord } from './store/records.js';

const REFRESH_EVERY_MS = 5_000;

export class ReplicaRegistry {
  private timer: NodeJS.Timeout | undefined;
  private readonly startedAtMs: number;

  constructor(
    private readonly records: KvRecords<ReplicaRecord>,
    private readonly self: { id: string; address: string },
    private readonly facts: () => { nodeSessions: number; leader: boolean; serving: boolean },
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    this.startedAtMs = clock.now();
  }

  start(): void {
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), REFRESH_EVERY_MS);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.records.delete(this.self.id).catch(() => {});
  }

  /** Publish now (a change worth showing at once, such as leadership). */
  async refresh(): Promise<void> {
    const record: ReplicaRecord = { ...this.self, startedAtMs: this.startedAtMs, lastSeenMs: this.clock.now(), ...this.facts() };
    await this.records.put(this.self.id, record).catch((err: unknown) => this.log.debug({ err: errorMessage(err) }, 'replica registration not refreshed'));
  }

  async list(): Promise<ReplicaRecord[]> {
    return (await this.records.list()).map((r) => r.value).sort((a, b) => a.startedAtMs - b.startedAtMs);
  }
}
