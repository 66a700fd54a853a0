/**
 * What the load bench's parent and its simulator processes say to each other
 * over IPC, and the clock both use for the figures they compare.
 *
 * Times are epoch milliseconds with sub-millisecond resolution
 * (`performance.timeOrigin + performance.now()`), so a submit time taken in
 * the parent and an assign time taken in a simulator subtract correctly.
 */
import type { AttemptOutcomeState } from '../../common/model.js';

export const nowMs = (): number => performance.timeOrigin + performance.now();

/** One simulated node, as the parent hands it to a simulator process. */
export interface SimNodeSpec {
  name: string;
  /** Control-plane replicas, the node's own first; it fails over to the next, as the agent does. */
  endpoints: string[];
  joinToken: string;
}

export interface SimSettings {
  slots: number;
  /** Enrollments in flight at once in this process. */
  enrollConcurrency: number;
  /** First connections (until the first heartbeat ack) in flight at once in this process. */
  connectConcurrency: number;
  /** Each enrollment and first connection waits a random time up to this before it starts. */
  jitterMs: number;
}

export type ParentMessage =
  | { type: 'enroll'; nodes: SimNodeSpec[]; settings: SimSettings }
  | { type: 'connect' }
  /** A control plane is about to restart: count the returns of the nodes now connected to it. */
  | { type: 'mark'; endpoint: string }
  /** Send what was measured until now (answered with `flushed`). */
  | { type: 'flush' }
  | { type: 'stop' };

/** The simulated node received an Assign. */
export interface AssignRecord {
  taskId: string;
  attemptId: string;
  nodeId: string;
  atMs: number;
}

/** The control plane acknowledged the attempt's `finished` event: its outcome is stored. */
export interface OutcomeRecord {
  attemptId: string;
  state: AttemptOutcomeState;
  atMs: number;
}

/** Measurements since the last batch, sent every half second. */
export interface SampleBatch {
  assigns: AssignRecord[];
  outcomes: OutcomeRecord[];
  /** Pairs: when a heartbeat was sent, how long until its ack (ms). */
  heartbeats: Array<[number, number]>;
  /** Pairs: when a node started connecting, how long until its first Welcome (ms), retries included. */
  connects: Array<[number, number]>;
}

/** What went differently from the plain path, counted per simulator process. */
export interface SimCounters {
  /** Enroll calls that failed with a retryable error and were tried again. */
  enrollRetries: number;
  /** Sessions that ended, or could not be opened, and were tried again after the agent's backoff. */
  reconnects: number;
  /** An Assign for an attempt the node already has or has finished (the agent ignores it). */
  duplicateAssigns: number;
  cancels: number;
  /** Messages the wire decoders refused (the agent logs and drops them). */
  unreadableMessages: number;
  /** Why sessions ended and what the decoders refused: counts by message, ids left out. */
  why: Record<string, number>;
}

export const emptyCounters = (): SimCounters => ({ enrollRetries: 0, reconnects: 0, duplicateAssigns: 0, cancels: 0, unreadableMessages: 0, why: {} });

/** Distinct reasons kept, at most; the rest are counted as "(other)". */
const REASONS_KEPT = 12;

/** Counts one more `reason`, with the ids in it replaced so that alike reasons count together. */
export function countReason(why: Record<string, number>, reason: string): void {
  const key = reason.replace(/\b[a-z]{1,8}_[0-9a-z]{19}\b/g, '<id>').slice(0, 200);
  const kept = key in why || Object.keys(why).length < REASONS_KEPT ? key : '(other)';
  why[kept] = (why[kept] ?? 0) + 1;
}

export interface SimProgress {
  enrolled: number;
  /** Nodes whose session is welcomed and whose first heartbeat was acknowledged. */
  ready: number;
  /** Of the nodes the last `mark` named, those welcomed again since, and when the last of them was. */
  reconnected: number;
  lastReconnectAtMs: number;
}

export type ChildMessage =
  | { type: 'progress'; progress: SimProgress }
  | { type: 'samples'; batch: SampleBatch }
  /** Per node: how long enrollment took (ms), in the order given. */
  | { type: 'enrolled'; enrollMs: number[] }
  | { type: 'connected' }
  | { type: 'flushed' }
  /** The answer to `mark`: how many nodes were connected to that endpoint. */
  | { type: 'marked'; awaiting: number }
  | { type: 'stopped'; counters: SimCounters }
  /** A node was refused for good (or could not enroll): the run cannot go on. */
  | { type: 'failed'; message: string };
