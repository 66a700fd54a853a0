/**
 * A KV watch that checks itself. A watch rides on a JetStream consumer; if
 * the consumer goes away under it (a stream leader change, an operator
 * cleaning up), the watch falls silent and the replica's view goes stale
 * without a word. So every CHECK_EVERY_MS the view reads the bucket's last
 * revision. Under a steady stream of writes a live watch is always a few
 * changes behind it, so being behind proves nothing; a watch that has not
 * reached, by the next check, the revision the bucket had at this one has
 * stopped. Then the view starts a new watch and hands its owner a fresh
 * snapshot.
 */
import type { Logger } from '../../../common/logger.js';
import type { KvRecords, RecordChange } from './kv-records.js';

const CHECK_EVERY_MS = 5_000;

export interface ViewHandlers<T> {
  /** The whole bucket as it is now: replace what you hold with it. */
  reset(snapshot: RecordChange<T>[]): void;
  change(change: RecordChange<T>): void;
}

export class LiveView<T> {
  private stopWatch: (() => void) | undefined;
  private lastRevision = 0;
  /** The bucket's revision at the last check that found the watch behind (0: it was not). */
  private owed = 0;
  private timer: NodeJS.Timeout | undefined;
  private restarting = false;
  private stopped = false;

  constructor(
    private readonly records: KvRecords<T>,
    private readonly handlers: ViewHandlers<T>,
    private readonly log: Logger,
    private readonly checkEveryMs = CHECK_EVERY_MS,
  ) {}

  /** Resolves once the first snapshot has been handed over. */
  async start(): Promise<void> {
    await this.watch();
    this.timer = setInterval(() => void this.check(), this.checkEveryMs);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.stopWatch?.();
  }

  private async watch(): Promise<void> {
    this.stopWatch?.();
    const watcher = this.records.watch((change) => {
      this.lastRevision = Math.max(this.lastRevision, change.revision);
      this.handlers.change(change);
    });
    this.stopWatch = watcher.stop;
    const snapshot = await watcher.initial;
    this.lastRevision = Math.max(0, ...snapshot.map((c) => c.revision));
    this.handlers.reset(snapshot);
  }

  private async check(): Promise<void> {
    if (this.restarting || this.stopped) return;
    try {
      const owed = this.owed;
      const bucketRevision = await this.records.lastRevision();
      if (owed === 0 || this.lastRevision >= owed) {
        // Caught up, or behind only by changes made since the last check (still in flight).
        this.owed = bucketRevision > this.lastRevision ? bucketRevision : 0;
        return;
      }
      this.restarting = true;
      this.log.warn({ records: this.records.what, seen: this.lastRevision, owed, bucketRevision }, 'watch fell behind; starting it again');
      await this.watch();
      this.owed = 0;
    } catch {
      // The store is unavailable: the next check tries again.
    } finally {
      this.restarting = false;
    }
  }
}
