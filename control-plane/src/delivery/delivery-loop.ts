/**
 * The leader's delivery loop: every DELIVERING task that is due gets a try,
 * a few at once. A try is taken by compare-and-set on the task (its claim
 * names this replica and its leader epoch), runs in the background (git and
 * the forge can take minutes; the loop's pass never waits for them), and
 * its outcome is written only while the claim is still this try's. A later
 * leader takes a try over at once; a try that outlives its hold is taken
 * over by the next pass. Both are safe because a try is idempotent
 * (`deliver.ts`).
 *
 * Why the control plane delivers, not the node that ran the attempt: the
 * result it delivers is the one the store accepted from the task's current
 * attempt (a zombie attempt's result is refused there), so no node needs a
 * forge token and none can push; and a delivery retried after its node is
 * gone needs nothing but the stored patch.
 */
import { errorMessage, NotFoundError, PreconditionError, ValidationError } from '../../../common/errors.js';
import type { Task } from '../../../common/model.js';
import type { ForgeAccess } from '../forges.js';
import { PeriodicLoop, type LeaderContext } from '../leader-roles.js';
import { StaleDeliveryError, type DeliveryClaim, type DeliveryMade } from '../task-state.js';
import { SecretKeyError } from '../secret-box.js';
import { deliverResult, type TryOptions } from './deliver.js';
import { DeliveryError } from './git-push.js';

/** Tries running at once on the leader. */
export const DELIVERY_CONCURRENCY = 4;
/** A claim's hold: longer than any try (each git command and forge call has its own timeout). */
export const DELIVERY_HOLD_MS = 15 * 60_000;
/** A try ends by then, whatever it waits on (every git it runs is killed): well inside its hold. */
export const DELIVERY_TRY_MS = 10 * 60_000;
/** After an outcome that could not be written, this replica waits this long before it takes the task again. */
const RECORD_RETRY_MS = 5_000;
const PASS_EVERY_MS = 1_000;

export interface DeliveryTasks {
  all(): Task[];
  /** The task as this replica sees it now (undefined once it is not active). */
  get(taskId: string): Task | undefined;
  onChange(listener: (task: Task, previous: Task | undefined) => void): () => void;
}

export interface DeliveryWrites {
  claimDelivery(taskId: string, claim: DeliveryClaim, holdMs: number): Promise<Task | null>;
  deliveryDone(taskId: string, claim: DeliveryClaim, made: DeliveryMade): Promise<Task>;
  deliveryFailed(taskId: string, claim: DeliveryClaim, failure: { error: string; retryable: boolean; made: Partial<DeliveryMade> }): Promise<Task>;
}

export interface DeliveryDeps extends LeaderContext {
  tasks: DeliveryTasks;
  writes: DeliveryWrites;
  replicaId: string;
  /** The stored patch of the task's result. */
  patch(task: Task): Promise<Buffer | null>;
  /** The task's forge with its token opened (checked against the repository again). */
  forge(name: string, repoUrl: string): Promise<ForgeAccess>;
  /** One try (tests put their own); default: `deliverResult`. */
  deliver?: (task: Task, patch: Buffer, forge: ForgeAccess, options: TryOptions) => Promise<DeliveryMade>;
  /** Where tries make their scratch repositories (the replica's data directory); default: the system's temporary directory. */
  workRoot?: string;
  /** Told how each try ended (metrics). */
  tried?: (outcome: 'delivered' | 'retry' | 'failed') => void;
}

export class DeliveryLoop extends PeriodicLoop {
  private readonly running = new Map<string, Promise<void>>();
  private readonly delivering = new Set<string>();
  /** Tasks whose last outcome could not be written: not taken again before then. */
  private readonly pausedUntil = new Map<string, number>();
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly deps: DeliveryDeps) {
    super(PASS_EVERY_MS, 'delivery pass');
  }

  override start(): void {
    // The tasks delivering, kept from the view's changes: a pass costs what is delivering, not what is active.
    this.unsubscribe ??= this.deps.tasks.onChange((task, previous) => {
      if (task.state !== 'DELIVERING') {
        this.delivering.delete(task.id);
        return;
      }
      this.delivering.add(task.id);
      // A task that starts delivering gets its first try now, not on the next tick.
      if (previous?.state !== 'DELIVERING') void this.tick();
    });
    this.delivering.clear();
    for (const task of this.deps.tasks.all()) if (task.state === 'DELIVERING') this.delivering.add(task.id);
    super.start();
  }

  override stop(): void {
    super.stop();
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /** Tries in flight (tests wait for them). */
  async settled(): Promise<void> {
    await Promise.all([...this.running.values()]);
  }

  protected async pass(): Promise<void> {
    const epoch = this.deps.leadingEpoch();
    if (epoch === null) return;
    const now = this.deps.clock.now();
    const due = [...this.delivering]
      .map((id) => this.deps.tasks.get(id))
      .filter((t): t is Task => t !== undefined)
      .filter((t) => t.state === 'DELIVERING' && t.notBeforeMs <= now && !this.running.has(t.id) && (this.pausedUntil.get(t.id) ?? 0) <= now)
      .filter((t) => {
        const held = t.delivery?.claim;
        return !held || held.untilMs <= now || held.epoch < epoch || (held.by === this.deps.replicaId && held.epoch === epoch);
      })
      .sort((a, b) => a.updatedAtMs - b.updatedAtMs);
    for (const [id, until] of this.pausedUntil) if (until <= now) this.pausedUntil.delete(id);
    for (const task of due) {
      if (this.running.size >= DELIVERY_CONCURRENCY || this.deps.leadingEpoch() !== epoch) return;
      const claim: DeliveryClaim = { by: this.deps.replicaId, epoch };
      const claimed = await this.deps.writes.claimDelivery(task.id, claim, DELIVERY_HOLD_MS).catch((err: unknown) => {
        this.deps.log.warn({ taskId: task.id, err: errorMessage(err) }, 'could not take a delivery try');
        return null;
      });
      if (!claimed) continue;
      const run = this.attempt(claimed, claim).finally(() => this.running.delete(task.id));
      this.running.set(task.id, run);
    }
  }

  private async attempt(task: Task, claim: DeliveryClaim): Promise<void> {
    const { deps } = this;
    const log = deps.log;
    const spec = task.spec.cline!.delivery!;
    // Still this try's: the task delivering under this claim, as this replica sees it (a cancel or a takeover ends it).
    const stillWanted = () => {
      const now = deps.tasks.get(task.id);
      const held = now?.delivery?.claim;
      return now?.state === 'DELIVERING' && held?.by === claim.by && held.epoch === claim.epoch;
    };
    let made: DeliveryMade | Partial<DeliveryMade> = {};
    try {
      try {
        const patch = await deps.patch(task);
        if (!patch) throw new DeliveryError(`the patch of task ${task.id} is missing from the object store`, false);
        const forge = await deps.forge(spec.forge, task.spec.cline!.repoUrl).catch((err: unknown) => {
          // The forge deleted, moved off the repository's host, or its token unreadable: an operator's to fix. The store not answering is not.
          const final = err instanceof NotFoundError || err instanceof PreconditionError || err instanceof ValidationError || err instanceof SecretKeyError;
          throw new DeliveryError(errorMessage(err), !final);
        });
        made = await (deps.deliver ?? deliverResult)(task, patch, forge, { workRoot: deps.workRoot, signal: AbortSignal.timeout(DELIVERY_TRY_MS), stillWanted });
      } catch (err) {
        const failure = err instanceof DeliveryError ? { error: err.message, retryable: err.retryable, made: err.made } : { error: errorMessage(err), retryable: true, made: {} };
        made = failure.made;
        const after = await deps.writes.deliveryFailed(task.id, claim, failure);
        deps.tried?.(after.state === 'DELIVERING' ? 'retry' : 'failed');
        return;
      }
      await deps.writes.deliveryDone(task.id, claim, made as DeliveryMade);
      deps.tried?.('delivered');
    } catch (err) {
      // Taken over (a new leader) or cancelled meanwhile: that try's or the operator's word stands; what this one made is told here.
      if (err instanceof StaleDeliveryError) log.warn({ taskId: task.id, ...made }, 'delivery try ended after the task moved on (cancelled, or taken over): what it made is not recorded on the task');
      else {
        this.pausedUntil.set(task.id, deps.clock.now() + RECORD_RETRY_MS);
        log.warn({ taskId: task.id, err: errorMessage(err) }, 'could not record a delivery try; tried again shortly');
      }
    }
  }
}
