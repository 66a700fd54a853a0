/**
 * A bucket mirrored in memory by key, kept current by a `LiveView` (which
 * restarts a watch that fell silent): what a replica reads often and cheaply
 * of a small bucket.
 */
import type { Logger } from '../../../common/logger.js';
import type { KvRecords, RecordChange } from './kv-records.js';
import { LiveView } from './live-view.js';

export class KeyedView<T> {
  private readonly values = new Map<string, T>();
  private readonly view: LiveView<T>;

  constructor(
    records: KvRecords<T>,
    log: Logger,
    /** Told after any change, a fresh snapshot included. */
    onChange: () => void = () => {},
  ) {
    const apply = (change: RecordChange<T>) => {
      if (change.deleted) this.values.delete(change.key);
      else this.values.set(change.key, change.value);
    };
    this.view = new LiveView(
      records,
      {
        reset: (snapshot) => {
          this.values.clear();
          for (const change of snapshot) apply(change);
          onChange();
        },
        change: (change) => {
          apply(change);
          onChange();
        },
      },
      log,
    );
  }

  /** Resolves once it holds the whole bucket. */
  start(): Promise<void> {
    return this.view.start();
  }

  stop(): void {
    this.view.stop();
  }

  get(key: string): T | undefined {
    return this.values.get(key);
  }

  has(key: string): boolean {
    return this.values.has(key);
  }

  get size(): number {
    return this.values.size;
  }

  all(): T[] {
    return [...this.values.values()];
  }

  /** What this replica just wrote, seen before its watch brings it back. */
  remember(key: string, value: T): void {
    this.values.set(key, value);
  }

  forget(key: string): void {
    this.values.delete(key);
  }
}
