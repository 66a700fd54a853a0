/**
 * The scheduling decision: a function of (the pending queue, nodes, now).
 * It never does I/O; `scheduler-loop.ts` keeps the queue current, feeds it a
 * snapshot of the nodes and applies the plan with compare-and-set writes. Two leaders racing cannot assign a task
 * twice (the CAS does that), so this function only has to be good, not safe.
 */
import { currentAttempt, type NodeStatus, type Task } from '../../common/model.js';
import { repoKey } from '../../common/repo-key.js';
import { comparePending, PendingQueue, type TaskClass } from './pending-queue.js';

/**
 * Why a READY node takes no new work now. `unreported`: enrolled and connected, its engine not yet reported
 * (its first heartbeat follows its hello).
 */
export type Unavailable = 'cordoned' | 'draining' | 'engine' | 'disk' | 'unreported';

export interface NodeView {
  id: string;
  name: string;
  labels: Record<string, string>;
  slots: number;
  status: NodeStatus;
  /** Attempts placed on the node that have not ended (from task records, not heartbeats). */
  activeAttempts: number;
  /** null: the node takes new work. */
  unavailable: Unavailable | null;
  /** The images the node can run, or null when it pulls what it lacks. */
  images: ReadonlySet<string> | null;
  /** Of the images it was asked to fetch ahead (a rollout's canary), those it holds. */
  prefetched: ReadonlySet<string>;
  /** The keys of the repositories it holds warm (common/repo-key.ts); absent: none. */
  repoKeys?: ReadonlySet<string>;
}

/**
 * Whether a node says it holds an image: fetched ahead (a rollout's canary)
 * or among the only images it has (an engine that answers). The one rule for
 * a gated image, used by placement and by `rollout status`'s count alike.
 */
export function holdsImage(n: Pick<NodeView, 'prefetched' | 'images'>, image: string): boolean {
  return n.prefetched.has(image) || Boolean(n.images?.has(image));
}

export interface Assignment {
  taskId: string;
  nodeId: string;
}

export interface Plan {
  assignments: Assignment[];
  /** The earliest not-before time still in the future: when to look again. */
  wakeAtMs: number | undefined;
  /** Tasks that no node can take now, and why (shown in `task get`): only where what they show changes. */
  unschedulable: Map<string, string>;
  /** Tasks that no node will run as they are, and why: they fail. */
  failures: Map<string, string>;
}

export interface ScheduleOptions {
  /**
   * How long a task may have waited before "its image is on no node" fails
   * it: node image lists come with heartbeats, so an image just loaded is
   * seen a heartbeat or two later.
   */
  imageGraceMs: number;
  /**
   * Images sent only to nodes that say they hold them (a rollout's canary,
   * normalized): a node that pulls what it lacks is not trusted to have
   * one, and a task for one waits rather than fails.
   */
  gated?: ReadonlySet<string>;
  /**
   * Whether a provider's Cline tasks wait now, given how many this pass has
   * placed already: why (its --max-concurrent reached, no rate headroom), and
   * when to look again if time alone will change it. Null: they may go.
   * Absent: no provider limits.
   */
  providerGate?: (provider: string, placedThisPass: number) => ProviderWait | null;
  /** Teams' shares and limits; absent: every task is of one team. */
  teams?: TeamShares;
}

/** What the scheduler asks of teams (common/teams.ts). '' is the team of tasks submitted without one: weight 1, no limits. */
export interface TeamShares {
  /** The team's place in line for its next slot, given how many this pass placed already (`fair-share.ts`): lower goes first. */
  key(team: string, placedThisPass: number): number;
  /** Why its tasks wait now, given how many this pass placed already (its --max-running; a Cline task, its budget); null: they may go. */
  gate(team: string, cline: boolean, placedThisPass: number): ProviderWait | null;
}

export interface ProviderWait {
  why: string;
  /** When the wait may end by itself (a rate window's grants age out); null: only a change ends it. */
  wakeAtMs: number | null;
}

/** Why a Cline task waits for its provider's concurrency limit. */
export function providerFull(provider: string, limit: number): string {
  return `provider "${provider}" is running ${limit} attempt(s), its --max-concurrent: waiting for one to end`;
}

const DEFAULT_OPTIONS: ScheduleOptions = { imageGraceMs: 10_000 };
/** Nodes named in a message, at most. */
const MAX_NAMES_SHOWN = 10;

export function matchesSelector(labels: Record<string, string>, selector: Record<string, string>): boolean {
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}


const UNAVAILABLE_WORDS: Record<Unavailable, string> = {
  cordoned: 'cordoned',
  draining: 'draining',
  engine: 'Docker engine not answering',
  disk: 'short of disk space',
  unreported: 'not yet reported',
};

/**
 * Why no node takes the task, in words an operator can act on. No counts:
 * the reason is written to the task whenever it changes, and counts would
 * change it with every node that comes and goes.
 */
function whyNoNode(candidates: readonly NodeView[]): string {
  const causes = new Set<Unavailable>();
  // A node not heard from since it enrolled is not ready yet, and says nothing about why tasks wait: were it told
  // to them, the first hello into a backlog would rewrite every waiting task, and its first heartbeat all of them again.
  for (const n of candidates) if (n.unavailable && n.unavailable !== 'unreported') causes.add(n.unavailable);
  if (causes.size === 0) return NO_NODE;
  if (causes.size === 1 && causes.has('engine')) return 'no node with a healthy Docker engine';
  if (causes.size === 1 && causes.has('disk')) return 'no node with free disk space';
  return `no matching node takes new work (${[...causes].sort().map((c) => UNAVAILABLE_WORDS[c]).join(', ')})`;
}

/** Why a task waits for capacity: every node that could run it is full, or there is no node at all. */
export const FULL = 'every matching node is full';
const NO_NODE = 'no ready node';
/**
 * The message of a task just submitted. It says as much as either capacity
 * reason does, so a task showing it is never rewritten to one of them: a
 * backlog of 100,000 tasks costs no write per task.
 */
const SUBMITTED = 'waiting for a node';
const SAID_BY_SUBMITTED = new Set([FULL, NO_NODE]);

/** A task showing `message` is to be told `why`: it shows something else, and not what says as much. */
export function shouldTell(message: string, why: string): boolean {
  return message !== why && !(message === SUBMITTED && SAID_BY_SUBMITTED.has(why));
}

/** Scheduling from a list (tests, and anything without a queue of its own). */
export function schedule(pending: readonly Task[], nodes: readonly NodeView[], now: number, options: ScheduleOptions = DEFAULT_OPTIONS): Plan {
  const queue = new PendingQueue();
  for (const task of pending) queue.update(task);
  return schedulePass(queue, nodes, now, options);
}

interface OpenClass {
  cls: TaskClass;
  /** The class's nodes that take new work. */
  usable: NodeView[];
}

/**
 * One pass over the queue: places what can be placed, explains what cannot.
 * Placed tasks are taken out of the queue (`PendingQueue.take`); the caller
 * puts back those whose assignment was not stored.
 *
 * Cost: O(nodes × classes) to find each class's nodes, then, per placement,
 * O(classes + nodes of its class). Tasks that only wait for a slot are not
 * looked at one by one: a class without room is closed for the pass.
 */
export function schedulePass(queue: PendingQueue, nodes: readonly NodeView[], now: number, options: ScheduleOptions = DEFAULT_OPTIONS): Plan {
  queue.promote(now);
  const plan: Plan = { assignments: [], wakeAtMs: queue.wakeAtMs(), unschedulable: new Map(), failures: new Map() };
  const waiting = [...queue.waiting()];
  if (waiting.length === 0) return plan;

  const free = new Map<string, number>();
  let totalFree = 0;
  for (const node of nodes) {
    if (node.status !== 'READY' || node.unavailable !== null) continue;
    const n = Math.max(0, node.slots - node.activeAttempts);
    free.set(node.id, n);
    totalFree += n;
  }
  const open: OpenClass[] = [];
  for (const cls of waiting) {
    const ready = nodes.filter((n) => n.status === 'READY' && matchesSelector(n.labels, cls.selector));
    if (ready.length === 0) {
      explain(queue, cls, Object.keys(cls.selector).length > 0 ? 'no ready node matches the node selector' : NO_NODE, plan);
      continue;
    }
    const gated = options.gated?.has(cls.image) ?? false;
    const canRun = ready.filter((n) => (gated ? holdsImage(n, cls.image) : n.images === null || n.images.has(cls.image)));
    if (canRun.length === 0) {
      if (gated) explain(queue, cls, `waiting for a node that holds ${cls.image} (nodes fetch it when a rollout starts)`, plan);
      else imageMissing(queue, cls, ready, now, options, plan);
      continue;
    }
    const usable = canRun.filter((n) => free.has(n.id));
    if (usable.length === 0) {
      explain(queue, cls, whyNoNode(canRun), plan);
      continue;
    }
    open.push({ cls, usable });
  }

  const placedOf = new Map<string, number>();
  const placedOfTeam = new Map<string, number>();
  const teams = options.teams;
  // A team's place in line for a slot (fair-share.ts); without teams, one line.
  const share = (team: string) => (teams ? teams.key(team, placedOfTeam.get(team) ?? 0) : 0);
  while (open.length > 0) {
    // The class of the team furthest below its share, then whose first task comes first:
    // weighted fair share across teams, priorities within a team (and among teams equally served).
    let best = -1;
    let bestTask: Task | undefined;
    let bestShare = Infinity;
    for (let i = 0; i < open.length; i++) {
      const head = open[i]!.cls.head();
      if (!head) continue;
      const s = share(open[i]!.cls.team);
      if (!bestTask || s < bestShare || (s === bestShare && comparePending(head, bestTask) < 0)) {
        best = i;
        bestTask = head;
        bestShare = s;
      }
    }
    if (!bestTask) break;
    const { cls, usable } = open[best]!;
    // A team at its limit, or out of budget for Cline tasks, holds its own classes only.
    const teamWait = teams?.gate(cls.team, cls.provider !== '', placedOfTeam.get(cls.team) ?? 0) ?? null;
    if (teamWait) {
      explain(queue, cls, teamWait.why, plan);
      if (teamWait.wakeAtMs !== null) plan.wakeAtMs = Math.min(plan.wakeAtMs ?? Infinity, teamWait.wakeAtMs);
      open.splice(best, 1);
      continue;
    }
    // A provider at its limit holds its own classes only; placements of this pass count.
    const wait = cls.provider && options.providerGate ? options.providerGate(cls.provider, placedOf.get(cls.provider) ?? 0) : null;
    if (wait) {
      explain(queue, cls, wait.why, plan);
      if (wait.wakeAtMs !== null) plan.wakeAtMs = Math.min(plan.wakeAtMs ?? Infinity, wait.wakeAtMs);
      open.splice(best, 1);
      continue;
    }
    const withRoom = totalFree > 0 ? usable.filter((n) => (free.get(n.id) ?? 0) > 0) : [];
    if (withRoom.length === 0) {
      explain(queue, cls, FULL, plan);
      open.splice(best, 1);
      continue;
    }
    const node = pickNode(withRoom, free, currentAttempt(bestTask)?.nodeId, taskRepoKey(bestTask));
    plan.assignments.push({ taskId: bestTask.id, nodeId: node.id });
    if (cls.provider) placedOf.set(cls.provider, (placedOf.get(cls.provider) ?? 0) + 1);
    placedOfTeam.set(cls.team, (placedOfTeam.get(cls.team) ?? 0) + 1);
    queue.take(bestTask.id);
    free.set(node.id, free.get(node.id)! - 1);
    totalFree--;
  }
  return plan;
}

/**
 * Says why a class's tasks wait, where that changes what they show. The
 * whole class is looked at only when its reason changed; otherwise only the
 * tasks that joined since. A task still showing what it was submitted with
 * is not told it waits for capacity (SAID_BY_SUBMITTED).
 */
function explain(queue: PendingQueue, cls: TaskClass, why: string, plan: Plan): void {
  const ids = cls.explained === why ? cls.unexplained : cls.members;
  for (const id of ids) {
    const message = queue.get(id)?.message;
    if (message !== undefined && shouldTell(message, why)) plan.unschedulable.set(id, why);
  }
  cls.explained = why;
  cls.unexplained.clear();
}

/** No node that could run the class has its image: each task fails once it has waited out the grace. */
function imageMissing(queue: PendingQueue, cls: TaskClass, ready: readonly NodeView[], now: number, options: ScheduleOptions, plan: Plan): void {
  const names = ready.slice(0, MAX_NAMES_SHOWN).map((n) => n.name).join(', ') + (ready.length > MAX_NAMES_SHOWN ? ` and ${ready.length - MAX_NAMES_SHOWN} more` : '');
  // Every member each time: the grace ends for each on its own clock.
  for (const id of cls.members) {
    const task = queue.get(id);
    if (!task) continue;
    const why = `image ${task.spec.image} is on no node that could run it: load it (docker load) on ${names}, or let a node pull images (--image-pull missing)`;
    if (now - (task.queuedAtMs ?? task.createdAtMs) >= options.imageGraceMs) plan.failures.set(id, why);
    else if (task.message !== why) plan.unschedulable.set(id, why);
  }
  cls.explained = undefined;
  cls.unexplained.clear();
}

/** A Cline task's repository key, made once per task record (records are replaced, never changed). */
const repoKeys = new WeakMap<Task, string>();

function taskRepoKey(task: Task): string | undefined {
  const url = task.spec.cline?.repoUrl;
  if (!url) return undefined;
  let key = repoKeys.get(task);
  if (key === undefined) {
    key = repoKey(url);
    repoKeys.set(task, key);
  }
  return key;
}

/**
 * Spread: the node with the largest share of free slots wins. A retry avoids
 * the node its last attempt ran on when another has room, since a node that
 * just failed a task is the likeliest to fail it again. Then a Cline task
 * goes to a node holding its repository warm when one has room (its clone
 * is a fetch of what changed, not the whole repository); the spread decides
 * among those.
 */
export function pickNode(candidates: NodeView[], free: Map<string, number>, previousNodeId: string | undefined, repo?: string): NodeView {
  const others = previousNodeId ? candidates.filter((n) => n.id !== previousNodeId) : candidates;
  const rest = others.length > 0 ? others : candidates;
  const warm = repo ? rest.filter((n) => n.repoKeys?.has(repo)) : [];
  const pool = warm.length > 0 ? warm : rest;
  let best = pool[0]!;
  let bestShare = -1;
  for (const node of pool) {
    const share = (free.get(node.id) ?? 0) / Math.max(1, node.slots);
    if (share > bestShare || (share === bestShare && node.id < best.id)) {
      best = node;
      bestShare = share;
    }
  }
  return best;
}
