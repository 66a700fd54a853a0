/**
 * The autoscaling pools in the `fleet_autoscale` bucket, one record per
 * pool, with a live copy on every replica (a KV watch): `autoscale status`
 * and the metrics read it on any replica, the leader's loop reads it each
 * pass. Every write is a compare-and-set (`KvRecords.modify`/`upsert`).
 */
import type { Clock } from '../../../common/clock.js';
import { NotFoundError, PreconditionError } from '../../../common/errors.js';
import type { Logger } from '../../../common/logger.js';
import { KeyedView } from '../store/keyed-view.js';
import type { KvRecords } from '../store/kv-records.js';
import { EMPTY_POOL_STATE, MAX_POOLS, type PoolConfig, type PoolRecord } from './pool.js';

/** What the autoscaler reads and writes: the replica's `Pools`, or a map in tests. */
export interface PoolStore {
  all(): PoolRecord[];
  /** Decides on the stored record and writes by compare-and-set; null when the pool is gone. */
  update(name: string, decide: (pool: PoolRecord) => PoolRecord | null): Promise<PoolRecord | null>;
}

export class Pools implements PoolStore {
  private readonly known: KeyedView<PoolRecord>;

  constructor(
    private readonly records: KvRecords<PoolRecord>,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    this.known = new KeyedView(records, log);
  }

  start(): Promise<void> {
    return this.known.start();
  }

  stop(): void {
    this.known.stop();
  }

  /** Every pool, by name. */
  all(): PoolRecord[] {
    return this.known.all().sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  get(name: string): PoolRecord {
    const pool = this.known.get(name);
    if (!pool) throw new NotFoundError(`autoscale pool "${name}" not found (fleetctl autoscale list shows the pools)`);
    return pool;
  }

  /** Creates or changes a pool; what the leader kept about it stays. */
  async set(config: PoolConfig): Promise<PoolRecord> {
    if (!this.known.has(config.name) && this.known.size >= MAX_POOLS) throw new PreconditionError(`a fleet has at most ${MAX_POOLS} autoscale pools: delete one first`);
    const now = this.clock.now();
    const { value } = await this.records.upsert(config.name, (existing) => ({
      ...config,
      createdAtMs: existing?.createdAtMs ?? now,
      updatedAtMs: now,
      state: existing?.state ?? EMPTY_POOL_STATE,
    }));
    this.known.remember(config.name, value);
    this.log.info({ pool: config.name, selector: config.selector, minNodes: config.minNodes, maxNodes: config.maxNodes, scaleUpCooldownMs: config.scaleUpCooldownMs, scaleDownCooldownMs: config.scaleDownCooldownMs }, 'autoscale pool set');
    return value;
  }

  /**
   * Deletes a pool. Nodes its scale-in was draining stay drained (an
   * operator's uncordon puts them back); no hook is called for it again.
   */
  async delete(name: string): Promise<PoolRecord> {
    const existing = await this.records.get(name);
    if (!existing) throw new NotFoundError(`autoscale pool "${name}" not found (fleetctl autoscale list shows the pools)`);
    await this.records.deleteIf(name, existing.revision);
    this.known.forget(name);
    this.log.info({ pool: name }, 'autoscale pool deleted');
    return existing.value;
  }

  async update(name: string, decide: (pool: PoolRecord) => PoolRecord | null): Promise<PoolRecord | null> {
    try {
      const { record, changed } = await this.records.modify(name, decide);
      if (changed) this.known.remember(name, record.value);
      return record.value;
    } catch (err) {
      if (err instanceof NotFoundError) return null;
      throw err;
    }
  }
}
