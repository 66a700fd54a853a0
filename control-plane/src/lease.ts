/**
 * Leadership through a KV lease: the key `leader` in a bucket whose entries
 * expire LEASE_TTL_MS after their last write. The holder renews by
 * compare-and-set well inside the TTL; anyone else takes the key only after it
 * has expired. The KV revision at which the lease was taken is the leader's
 * epoch: it only grows, and every assignment records it, so the audit trail
 * says which leader placed what. It is not a storage-side fence (no write
 * checks it): what keeps two leaders from doing harm is that a holder that
 * cannot renew stops its loops before the TTL runs out, and that every write
 * is a compare-and-set on the record it changes (docs/DESIGN.md, invariant 2).
 */
import type { Clock } from '../../common/clock.js';
import { ConflictError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { InFlight } from '../../common/self-check.js';
import type { KvRecords } from './store/kv-records.js';
import type { LeaseRecord } from './store/records.js';

export const LEASE_KEY = 'leader';
/** A lease write that has not ended after this long (store calls time out long before) is stuck. */
const LEASE_TICK_BOUND_MS = 30_000;

export type LeadershipListener = (leading: boolean, epoch: number) => void;

export class Lease {
  private revision = 0;
  private epoch = 0;
  private lastRenewMs = 0;
  private acquiredAtMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  /** For the self-check: a renewal (or a try to take the lease) that does not end. */
  readonly ticks = new InFlight('leader lease', LEASE_TICK_BOUND_MS);
  private readonly renewEveryMs: number;
  /** Give up this long after the last good renewal: well before others may take over. */
  private readonly giveUpAfterMs: number;

  constructor(
    private readonly records: KvRecords<LeaseRecord>,
    private readonly holder: string,
    ttlMs: number,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly onChange: LeadershipListener,
  ) {
    this.renewEveryMs = Math.max(100, Math.floor(ttlMs / 4));
    this.giveUpAfterMs = Math.floor(ttlMs * 0.6);
  }

  /** The epoch of the lease this replica holds (0: none). */
  get heldEpoch(): number {
    return this.isLeader ? this.epoch : 0;
  }

  get isLeader(): boolean {
    return this.revision !== 0;
  }

  /** The epoch while this replica may act as leader (its last renewal is recent enough), or null. */
  leadingEpoch(): number | null {
    return this.isLeader && this.clock.now() - this.lastRenewMs <= this.giveUpAfterMs ? this.epoch : null;
  }

  start(): void {
    this.running = true;
    void this.tick();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    if (this.isLeader) {
      const revision = this.revision;
      this.lose('stopping');
      // Hand over at once rather than make the next leader wait out the TTL.
      await this.records.deleteIf(LEASE_KEY, revision).catch(() => {});
    }
  }

  private async tick(): Promise<void> {
    if (!this.running) return;
    try {
      await this.ticks.track(this.isLeader ? this.renew() : this.tryAcquire());
    } catch (err) {
      if (this.isLeader && this.clock.now() - this.lastRenewMs > this.giveUpAfterMs) this.lose(`renewal failing: ${(err as Error).message}`);
    }
    if (this.running) this.timer = setTimeout(() => void this.tick(), this.renewEveryMs);
  }

  private async renew(): Promise<void> {
    const now = this.clock.now();
    try {
      const next = await this.records.update(LEASE_KEY, { holder: this.holder, epoch: this.epoch, acquiredAtMs: this.acquiredAtMs, renewedAtMs: now }, this.revision);
      this.revision = next.revision;
      this.lastRenewMs = now;
    } catch (err) {
      if (err instanceof ConflictError) this.lose('lease taken by another replica');
      else throw err;
    }
  }

  private async tryAcquire(): Promise<void> {
    const now = this.clock.now();
    try {
      const created = await this.records.create(LEASE_KEY, { holder: this.holder, epoch: 0, acquiredAtMs: now, renewedAtMs: now });
      this.revision = created.revision;
      this.epoch = created.revision;
      this.lastRenewMs = now;
      this.acquiredAtMs = now;
      this.log.info({ epoch: this.epoch }, 'leadership acquired');
      this.onChange(true, this.epoch);
      // The first renewal writes the epoch into the lease, for `cluster status`.
      await this.renew();
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
    }
  }

  private lose(reason: string): void {
    if (!this.isLeader) return;
    this.revision = 0;
    this.log.warn({ epoch: this.epoch, reason }, 'leadership lost');
    this.onChange(false, this.epoch);
  }
}
