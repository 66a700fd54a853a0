/**
 * The fleet's Cline image and its canary rollouts, stored in one KV record
 * (`current` in fleet_rollouts) so that every transition is one
 * compare-and-set: a promotion makes the canary the fleet's image in the
 * same write that ends the rollout. Every replica keeps the record in memory
 * from a watch: submissions read the fleet's image from it, node sessions
 * the image to fetch ahead, the scheduler where each task goes. The leader's
 * loop (`rollout-loop.ts`) adds outcomes and decides; operators start,
 * pause, resume, promote and abort through here.
 */
import type { Clock } from '../../common/clock.js';
import { AlreadyExistsError, ConflictError, NotFoundError, PreconditionError, ValidationError } from '../../common/errors.js';
import { newId } from '../../common/ids.js';
import type { Logger } from '../../common/logger.js';
import { normalizeImageRef, type NodeRecord, type Task } from '../../common/model.js';
import {
  armFor,
  checkRolloutSettings,
  currentPercent,
  eligible,
  emptyStats,
  isActive,
  withEvent,
  type Placement,
  type Rollout,
  type RolloutAction,
  type RolloutSettings,
} from '../../common/rollout.js';
import type { KvRecords, RecordChange, Versioned } from './store/kv-records.js';
import { LiveView } from './store/live-view.js';
import type { RolloutRecord } from './store/records.js';
import { holdsImage, matchesSelector } from './scheduler.js';
import { nodeView, unavailable } from './scheduler-loop.js';

export const CURRENT_KEY = 'current';
const HISTORY_PREFIX = 'history.';
const EMPTY: RolloutRecord = { fleetImage: '', fleetImageRolloutId: '', rollout: null };

/** What an ended rollout says it ended with, by state. */
export type RolloutEnd = 'PROMOTED' | 'ROLLED_BACK' | 'ABORTED';

export class Rollouts {
  private current: Versioned<RolloutRecord> | null = null;
  private readonly view: LiveView<RolloutRecord>;
  private readonly listeners = new Set<(record: RolloutRecord) => void>();

  constructor(
    private readonly records: KvRecords<RolloutRecord>,
    /** The control plane's --cline-image: the fleet's image until a rollout is promoted. */
    private readonly defaultImage: string,
    private readonly clock: Clock,
    log: Logger,
  ) {
    this.view = new LiveView(records, { reset: (snapshot) => this.reset(snapshot), change: (change) => this.apply(change) }, log);
  }

  start(): Promise<void> {
    return this.view.start();
  }

  stop(): void {
    this.view.stop();
  }

  private reset(snapshot: RecordChange<RolloutRecord>[]): void {
    this.current = null;
    for (const change of snapshot) this.apply(change);
    this.notify();
  }

  private apply(change: RecordChange<RolloutRecord>): void {
    if (change.key !== CURRENT_KEY) return;
    if (change.deleted) this.current = null;
    else if (!this.current || change.revision > this.current.revision) this.current = { key: change.key, value: change.value, revision: change.revision };
    else return;
    this.notify();
  }

  private notify(): void {
    const record = this.record();
    for (const listener of this.listeners) listener(record);
  }

  /** Every change of the record (the scheduler re-places its queue; the leader's loop). */
  onChange(listener: (record: RolloutRecord) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  record(): RolloutRecord {
    return this.current?.value ?? EMPTY;
  }

  /** The image Cline tasks submitted without one get. */
  fleetImage(): string {
    return this.record().fleetImage || this.defaultImage;
  }

  /** The active rollout (progressing or paused), if any. */
  active(): Rollout | null {
    const r = this.record().rollout;
    return isActive(r) ? r : null;
  }

  /** What nodes are asked to hold before work needs it: an active rollout's canary. */
  prefetch(): string[] {
    const r = this.active();
    return r ? [r.image] : [];
  }

  /** Starts a rollout of `settings.image` from the fleet's image; refused while one is under way. */
  async begin(settings: RolloutSettings, actor: string): Promise<Rollout> {
    checkRolloutSettings(settings);
    const now = this.clock.now();
    const stored = await this.records.get(CURRENT_KEY);
    const record = stored?.value ?? EMPTY;
    const baselineImage = record.fleetImage || this.defaultImage;
    if (isActive(record.rollout)) throw new PreconditionError(`rollout ${record.rollout.id} of ${record.rollout.image} is under way: promote or abort it first (fleetctl rollout promote|abort)`);
    if (normalizeImageRef(settings.image) === normalizeImageRef(baselineImage)) throw new ValidationError('image', `${settings.image} is already the fleet's Cline image`);
    // The last rollout moves to the history before the record forgets it.
    if (record.rollout) await this.records.create(`${HISTORY_PREFIX}${record.rollout.id}`, { ...EMPTY, rollout: record.rollout }).catch((err: unknown) => {
      if (!(err instanceof AlreadyExistsError)) throw err;
    });
    const rollout: Rollout = {
      ...settings,
      id: newId('rol', now),
      baselineImage,
      stepIndex: 0,
      stepStartedAtMs: now,
      state: 'PROGRESSING',
      reason: `started: ${settings.steps[0]}% of new Cline tasks on ${settings.image}`,
      createdAtMs: now,
      updatedAtMs: now,
      endedAtMs: 0,
      createdBy: actor,
      canary: emptyStats(),
      baseline: emptyStats(),
      history: [{ atMs: now, what: `started by ${actor}: ${settings.steps[0]}% to ${settings.image} (baseline ${baselineImage})` }],
    };
    const next: RolloutRecord = { ...record, rollout };
    try {
      if (stored) await this.records.update(CURRENT_KEY, next, stored.revision);
      else await this.records.create(CURRENT_KEY, next);
    } catch (err) {
      if (err instanceof ConflictError || err instanceof AlreadyExistsError) throw new ConflictError('the rollout record changed while this one was being started: try again');
      throw err;
    }
    return rollout;
  }

  /** An operator's pause, resume, promote or abort of the active rollout. */
  async act(action: RolloutAction, reason: string, actor: string): Promise<Rollout> {
    const now = this.clock.now();
    const why = reason.trim() ? `: ${reason.trim()}` : '';
    const { record } = await this.modify((r) => {
      if (!isActive(r.rollout)) throw new PreconditionError(r.rollout ? `rollout ${r.rollout.id} has already ended (${r.rollout.state})` : 'no rollout has been started (fleetctl rollout start)');
      const rollout = r.rollout;
      switch (action) {
        case 'pause':
          if (rollout.state === 'PAUSED') return null;
          return { ...r, rollout: { ...rollout, state: 'PAUSED', reason: `paused by ${actor}${why}`, updatedAtMs: now, history: withEvent(rollout, now, `paused by ${actor}${why}`) } };
        case 'resume':
          if (rollout.state === 'PROGRESSING') return null;
          // The step's interval starts again: a pause is not time the canary was watched at this share.
          return { ...r, rollout: { ...rollout, state: 'PROGRESSING', stepStartedAtMs: now, reason: `resumed by ${actor}${why}`, updatedAtMs: now, history: withEvent(rollout, now, `resumed by ${actor}${why}`) } };
        case 'promote':
          return end(r, rollout, 'PROMOTED', `promoted by ${actor}${why}`, now);
        case 'abort':
          return end(r, rollout, 'ABORTED', `aborted by ${actor}${why}`, now);
      }
    });
    return record.value.rollout!;
  }

  /**
   * The leader's write: `decide` sees the stored record and returns the
   * next one (null: nothing to write). A compare-and-set from the version
   * this replica's view holds, decided again on a fresh read on conflict.
   */
  async modify(decide: (record: RolloutRecord) => RolloutRecord | null): Promise<{ record: Versioned<RolloutRecord>; changed: boolean }> {
    const held = this.current ?? undefined;
    try {
      return await this.records.modify(CURRENT_KEY, decide, held);
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
      const next = decide(EMPTY);
      if (next === null) throw new PreconditionError('no rollout has been started (fleetctl rollout start)');
      return { record: await this.records.create(CURRENT_KEY, next), changed: true };
    }
  }

  /** The active rollout, or the last one to end; null before the first. */
  async get(): Promise<{ rollout: Rollout | null; fleetImage: string }> {
    const stored = await this.records.get(CURRENT_KEY);
    return { rollout: stored?.value.rollout ?? null, fleetImage: stored?.value.fleetImage || this.defaultImage };
  }

  /** Rollouts, newest first: the current one, then the history. */
  async list(limit: number): Promise<Rollout[]> {
    const all = await this.records.list();
    const rollouts = all.map((r) => r.value.rollout).filter((r): r is Rollout => r !== null);
    const unique = new Map(rollouts.map((r) => [r.id, r]));
    return [...unique.values()].sort((a, b) => b.createdAtMs - a.createdAtMs).slice(0, limit);
  }
}

/** The record with the rollout ended; a promotion makes its image the fleet's. */
export function end(record: RolloutRecord, rollout: Rollout, state: RolloutEnd, reason: string, now: number): RolloutRecord {
  const ended: Rollout = { ...rollout, state, reason, updatedAtMs: now, endedAtMs: now, history: withEvent(rollout, now, reason) };
  return state === 'PROMOTED' ? { fleetImage: rollout.image, fleetImageRolloutId: rollout.id, rollout: ended } : { ...record, rollout: ended };
}

/**
 * Where a pending task runs under the rollout: a function of the stored
 * rollout and the nodes, so the leader's scheduler and any later leader
 * agree. Tasks the rollout does not concern keep their own image; the
 * canary side goes to the baseline while no ready node holds the canary.
 */
export class ImageRouting {
  /** Ready nodes that take work and hold the canary: only their labels matter here. */
  private holders: NodeRecord[] = [];
  private holderIds = '';
  /** Per node selector: whether a holder matches it (cleared when the holders change). */
  private readonly bySelector = new Map<string, boolean>();

  constructor(private readonly rollouts: Pick<Rollouts, 'active'>) {}

  /** Looks at the nodes (once per scheduling pass); true when that changes placements. */
  refresh(nodes: readonly NodeRecord[]): boolean {
    const r = this.rollouts.active();
    const canary = r ? normalizeImageRef(r.image) : '';
    const holders = canary === '' ? [] : nodes.filter((n) => n.status === 'READY' && unavailable(n) === null && recordHoldsImage(n, canary));
    const ids = holders.map((n) => `${n.id}:${JSON.stringify(n.labels)}`).sort().join(',');
    if (ids === this.holderIds) return false;
    this.holders = holders;
    this.holderIds = ids;
    this.bySelector.clear();
    return true;
  }

  /** Changes whenever a placement can: the rollout, its share, which nodes hold the canary. */
  version(): string {
    const r = this.rollouts.active();
    return r ? `${r.id}/${currentPercent(r)}/${this.holderIds}` : '';
  }

  /**
   * A task goes to the canary only if a node it may run on holds it and
   * takes work: otherwise its canary side runs the baseline, rather than
   * wait for a node that may never come.
   */
  placement(task: Task): Placement {
    const r = this.rollouts.active();
    if (!r || !eligible(r, task)) return { image: task.spec.image };
    const arm = this.canaryReachable(task.spec.nodeSelector) ? armFor(r, task) : 'baseline';
    return { image: arm === 'canary' ? r.image : task.spec.image, rollout: { id: r.id, arm } };
  }

  private canaryReachable(selector: Record<string, string>): boolean {
    const key = JSON.stringify(Object.entries(selector).sort());
    let found = this.bySelector.get(key);
    if (found === undefined) {
      found = this.holders.some((n) => matchesSelector(n.labels, selector));
      this.bySelector.set(key, found);
    }
    return found;
  }

  /** Images only nodes that say they hold them are sent (normalized). */
  gated(): ReadonlySet<string> {
    const r = this.rollouts.active();
    return new Set(r ? [normalizeImageRef(r.image)] : []);
  }
}

/** Whether a node's record says it holds an image (normalized), by the scheduler's own rule. */
export function recordHoldsImage(n: NodeRecord, normalized: string): boolean {
  return holdsImage(nodeView(n, 0), normalized);
}
