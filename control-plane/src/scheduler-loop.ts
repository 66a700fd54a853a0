/**
 * The leader's scheduling loop: the I/O around `schedulePass()`. It runs
 * when something changed that can change a placement (a task waiting or a
 * slot freed, a node's capacity; not a heartbeat) and when the earliest
 * retry backoff ends, never on a polling interval. Runs are coalesced: a
 * change during a run causes exactly one more run. The queue of PENDING
 * tasks is kept from the task changes while this replica leads, not rebuilt.
 */
import { errorMessage } from '../../common/errors.js';
import { InFlight } from '../../common/self-check.js';
import { activeAttempt, type NodeRecord, type Task } from '../../common/model.js';
import type { Placement } from '../../common/rollout.js';
import { LEADER_PASS_BOUND_MS, type ActiveTasks, type LeaderContext, type NodeDirectory, type TaskWrites } from './leader-roles.js';
import { sameStrings } from './node-state.js';
import { PendingQueue } from './pending-queue.js';
import type { Headroom } from '../../common/rate-window.js';
import { providerFull, schedulePass, shouldTell, type NodeView, type ProviderWait, type TeamShares, type Unavailable } from './scheduler.js';
import { nextBudgetDayMs, teamFull } from '../../common/teams.js';
import type { Teams } from './teams.js';
import { FairShare } from './fair-share.js';
import { WaitReasons } from './wait-reasons.js';

/** After a failed pass (store unavailable), try again after this long. */
const RETRY_AFTER_ERROR_MS = 1_000;

export interface SchedulerDeps extends LeaderContext {
  tasks: ActiveTasks;
  nodes: NodeDirectory;
  taskWrites: Pick<TaskWrites, 'assign' | 'explainWait' | 'failUnplaceable'>;
  /** How long a task waits before "its image is on no node" fails it (see ScheduleOptions). */
  imageGraceMs: number;
  /** Told of each pass and how long it took, its writes included (metrics). */
  passed?: (seconds: number) => void;
  /** Where a rollout sends tasks (`rollouts.ts`); absent: every task runs its own image. */
  routing?: Routing;
  /** Providers' --max-concurrent (Infinity: none); absent: no provider limits. */
  providers?: { maxConcurrent(name: string): number };
  /** Rate-limited providers' headroom (`provider-rates.ts`); absent: no rate limits. */
  rates?: { headroom(name: string, now: number): Headroom | null };
  /** Teams' settings and budgets (`teams.ts`); absent: no teams. */
  teams?: Pick<Teams, 'settings' | 'blocked'>;
}

/** What the scheduler asks of a rollout (`ImageRouting`). */
export interface Routing {
  /** Looks at the nodes once per pass. */
  refresh(nodes: readonly NodeRecord[]): unknown;
  /** Changes whenever a placement can change: the queue is re-placed then. */
  version(): string;
  placement(task: Task): Placement;
  gated(): ReadonlySet<string>;
}

/**
 * Why a node takes no new work now, in the scheduler's terms. A condition
 * (the engine, the disk) comes before the cordon it brings with it: it says
 * more about when the node will be back.
 */
export function unavailable(n: NodeRecord): Unavailable | null {
  // An engine found down always comes with its error; none yet: the node has not reported since it enrolled.
  if (!n.dockerHealthy) return n.dockerError ? 'engine' : 'unreported';
  if (n.diskPressure) return 'disk';
  if (n.cordon) return 'cordoned';
  if (n.drain || n.agentDraining) return 'draining';
  return null;
}

/** An images-only node's image set, made once per record (records are replaced, never changed). */
const imageSets = new WeakMap<NodeRecord, ReadonlySet<string>>();
const prefetchedSets = new WeakMap<NodeRecord, ReadonlySet<string>>();
const repoKeySets = new WeakMap<NodeRecord, ReadonlySet<string>>();
const NONE: ReadonlySet<string> = new Set();

export function nodeView(n: NodeRecord, activeAttempts: number): NodeView {
  let images: ReadonlySet<string> | null = null;
  // An engine that does not answer cannot say what it holds: unknown, not "nothing".
  if (n.imagesOnly && n.dockerHealthy) {
    images = imageSets.get(n) ?? new Set(n.images ?? []);
    imageSets.set(n, images);
  }
  let prefetched = NONE;
  if (n.prefetched?.length) {
    prefetched = prefetchedSets.get(n) ?? new Set(n.prefetched);
    prefetchedSets.set(n, prefetched);
  }
  let repoKeys = NONE;
  if (n.repoKeys?.length) {
    repoKeys = repoKeySets.get(n) ?? new Set(n.repoKeys);
    repoKeySets.set(n, repoKeys);
  }
  return { id: n.id, name: n.name, labels: n.labels, slots: n.slots, status: n.status, activeAttempts, unavailable: unavailable(n), images, prefetched, repoKeys };
}

/**
 * Whether a node's change can change where tasks go: most heartbeats that are
 * written cannot. The warm repositories (repoKeys) are left out on purpose:
 * they only choose among nodes with room, so a change in them alone cannot
 * place a waiting task, and the next pass (a task submitted, a slot freed)
 * reads the record as it is then.
 */
export function capacityChanged(previous: NodeRecord | undefined, next: NodeRecord): boolean {
  if (!previous) return true;
  return (
    previous.status !== next.status ||
    previous.slots !== next.slots ||
    unavailable(previous) !== unavailable(next) ||
    Boolean(previous.imagesOnly) !== Boolean(next.imagesOnly) ||
    !sameStrings(Object.entries(previous.labels).flat(), Object.entries(next.labels).flat()) ||
    !sameStrings(previous.images ?? [], next.images ?? []) ||
    !sameStrings(previous.prefetched ?? [], next.prefetched ?? [])
  );
}

export class SchedulerLoop {
  private running = false;
  private busy = false;
  private dirty = false;
  private wakeTimer: NodeJS.Timeout | undefined;
  private readonly unsubscribe: Array<() => void> = [];
  private idle: Promise<void> = Promise.resolve();
  /** The PENDING tasks, kept current from task changes while this replica leads. */
  private queue = new PendingQueue();
  /** The routing version the queue's classes were made with. */
  private routingVersion = '';
  /** Teams' served slot time, for their fair share (kept while this replica leads). */
  private fairShare = new FairShare();
  /** For the self-check: a pass that does not end. */
  readonly passes = new InFlight('scheduling pass', LEADER_PASS_BOUND_MS);
  /** Why tasks wait, written behind the placements (a pass does not wait for them). */
  private readonly reasons: WaitReasons;

  constructor(private readonly deps: SchedulerDeps) {
    this.reasons = new WaitReasons({
      write: (taskId, why) => deps.taskWrites.explainWait(taskId, why),
      stillTrue: (taskId, why) => this.queue.stillExplains(taskId, why),
      mayWrite: () => this.running && deps.leadingEpoch() !== null,
      log: deps.log,
    });
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.requeue();
    this.unsubscribe.push(
      this.deps.tasks.onChange((task, previous) => {
        this.queue.update(task);
        // What a waiting task shows, as seen now: a reason written after its class's changed (its write was in
        // flight; or the pass that changed it saw the task's old message) is followed by the class's.
        if (task.state === 'PENDING') {
          const why = this.queue.classReason(task.id);
          if (why !== undefined && shouldTell(task.message, why)) this.reasons.noteOne(task.id, why);
        }
        // A task that waits, or one that freed a slot (its attempt ended): worth a pass.
        const waits = task.state === 'PENDING' && (previous?.state !== 'PENDING' || previous.notBeforeMs !== task.notBeforeMs);
        if (waits || (previous && activeAttempt(previous) && !activeAttempt(task))) this.kick();
      }),
      this.deps.nodes.onChange((node, previous) => {
        if (capacityChanged(previous, node)) this.kick();
      }),
    );
    this.kick();
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.wakeTimer);
    for (const u of this.unsubscribe.splice(0)) u();
    this.reasons.clear();
    this.queue = new PendingQueue();
    this.fairShare = new FairShare();
  }

  /** A new queue of every PENDING task, in classes by the image each runs now. */
  private requeue(): void {
    const routing = this.deps.routing;
    this.routingVersion = routing?.version() ?? '';
    // The new queue's classes have no reasons yet: its first pass decides every one anew.
    this.reasons.clear();
    this.queue = new PendingQueue(routing ? (task) => routing.placement(task).image : undefined);
    for (const task of this.deps.tasks.pending()) this.queue.update(task);
  }

  /** Resolves when no pass is running or due and the reasons noted are written (for tests and an orderly stop). */
  async settled(): Promise<void> {
    await this.idle;
    await this.reasons.idle();
  }

  /** Reasons noted and not yet written (tests). */
  get reasonsDue(): number {
    return this.reasons.pending;
  }

  kick(): void {
    if (!this.running) return;
    if (this.busy) {
      this.dirty = true;
      return;
    }
    this.busy = true;
    const started = performance.now();
    this.idle = this.passes.track(this.pass()).finally(() => {
      this.deps.passed?.((performance.now() - started) / 1000);
      this.busy = false;
      if (this.dirty && this.running) {
        this.dirty = false;
        this.kick();
      }
    });
  }

  /** Teams as this pass sees them: a task of no team ('') has weight 1 and no limits. */
  private teamShares(now: number): TeamShares | undefined {
    const teams = this.deps.teams;
    if (!teams) return undefined;
    const running = (team: string) => this.deps.tasks.activeAttemptsOfTeam(team);
    const weight = (team: string) => (team ? teams.settings(team).weight : 1);
    const gate: TeamShares['gate'] = (team, cline, placed) => {
      if (!team) return null;
      const { maxRunning } = teams.settings(team);
      if (maxRunning > 0 && running(team) + placed >= maxRunning) return { why: teamFull(team, maxRunning), wakeAtMs: null };
      const spent = cline ? teams.blocked(team, now) : null;
      return spent ? { why: spent, wakeAtMs: nextBudgetDayMs(now) } : null;
    };
    this.fairShare.advance(now);
    // Competing: holding slots, or with waiting work its own limits let go (backoffs that end now included).
    this.queue.promote(now);
    const active = new Set<string>(this.deps.tasks.runningTeams());
    for (const cls of this.queue.waiting()) if (!active.has(cls.team) && gate(cls.team, cls.provider !== '', 0) === null) active.add(cls.team);
    this.fairShare.activate(active, weight);
    return { key: (team, placed) => this.fairShare.key(team, weight(team), running(team) + placed), gate };
  }

  /** The slots each team holds once this pass's placements are made. */
  private heldAfter(placedTeams: readonly string[]): Map<string, number> {
    const held = new Map<string, number>();
    for (const team of this.deps.tasks.runningTeams()) held.set(team, this.deps.tasks.activeAttemptsOfTeam(team));
    for (const team of placedTeams) held.set(team, (held.get(team) ?? 0) + 1);
    return held;
  }

  private async pass(): Promise<void> {
    const { clock, log, leadingEpoch, taskWrites, imageGraceMs } = this.deps;
    // Nothing waits, not even a retry in its backoff: the pass would look at every node to place
    // nothing. Every hello changes capacity and kicks the loop, so after a replica's restart that
    // look, once per node coming back, made reconnecting cost the square of the node count.
    if (this.queue.size === 0) {
      clearTimeout(this.wakeTimer);
      return;
    }
    const now = clock.now();
    const records = this.deps.nodes.all();
    const routing = this.deps.routing;
    if (routing) {
      routing.refresh(records);
      // A rollout's step, its end, or the first node holding its canary: tasks go elsewhere from now on.
      if (routing.version() !== this.routingVersion) this.requeue();
    }
    const queue = this.queue;
    const nodes = records.map((n) => nodeView(n, this.deps.tasks.activeAttemptsOn(n.id)));
    const { providers, rates } = this.deps;
    const providerGate = providers && ((name: string, placed: number): ProviderWait | null => {
      const limit = providers.maxConcurrent(name);
      if (this.deps.tasks.activeAttemptsOf(name) + placed >= limit) return { why: providerFull(name, limit), wakeAtMs: null };
      // No request may go now: a new attempt would only wait at its gateway. One with headroom may start.
      const room = rates?.headroom(name, now);
      return room && room.requests === 0 ? { why: room.why, wakeAtMs: room.retryAtMs } : null;
    });
    const teams = this.teamShares(now);
    const plan = schedulePass(queue, nodes, now, { imageGraceMs, ...(routing ? { gated: routing.gated() } : {}), ...(providerGate ? { providerGate } : {}), ...(teams ? { teams } : {}) });
    if (teams) this.fairShare.hold(this.heldAfter(plan.assignments.map((a) => queue.get(a.taskId)?.spec.team ?? '')));
    clearTimeout(this.wakeTimer);
    // A task that may fail for its image is looked at again when its grace is over.
    const wakeAtMs = plan.wakeAtMs ?? (plan.unschedulable.size > 0 ? now + imageGraceMs : undefined);
    if (wakeAtMs !== undefined) this.wakeTimer = setTimeout(() => this.kick(), Math.max(0, wakeAtMs - now));
    const writes = [
      ...plan.assignments.map((a) => {
        const task = queue.get(a.taskId);
        const placement = routing && task ? routing.placement(task) : undefined;
        return (epoch: number) => taskWrites.assign(a.taskId, a.nodeId, epoch, placement?.rollout ? placement : undefined);
      }),
      ...[...plan.failures].map(([taskId, why]) => () => taskWrites.failUnplaceable(taskId, why)),
    ];
    this.reasons.note(plan.unschedulable);
    if (writes.length === 0) return;
    const results = await Promise.allSettled(
      writes.map(async (write) => {
        const epoch = leadingEpoch();
        if (epoch === null || !this.running) return false;
        return write(epoch);
      }),
    );
    // A placement not stored (the task moved on, the write failed, leadership ended) waits again, unless its change says otherwise.
    plan.assignments.forEach((a, i) => {
      const result = results[i]!;
      if (result.status === 'rejected' || result.value === false) queue.putBack(a.taskId);
    });
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed.length > 0) {
      log.warn({ failed: failed.length, err: errorMessage(failed[0]!.reason) }, 'assignments failed; retrying');
      clearTimeout(this.wakeTimer);
      this.wakeTimer = setTimeout(() => this.kick(), RETRY_AFTER_ERROR_MS);
    }
    log.debug({ assigned: plan.assignments.length, queued: queue.size, durationMs: clock.now() - now }, 'scheduling pass');
  }
}
