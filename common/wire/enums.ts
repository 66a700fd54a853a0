/**
 * The proto enums and the domain's unions: `TASK_STATE_PENDING` on the wire,
 * `PENDING` in the model. Each pair sits side by side; a decoder refuses
 * UNSPECIFIED and unknown values, naming the field.
 */
import type { AttemptState as AttemptStateMsg } from '../../proto/gen/fleet/v1/AttemptState.js';
import type { CordonSource as CordonSourceMsg } from '../../proto/gen/fleet/v1/CordonSource.js';
import type { DrainState as DrainStateMsg } from '../../proto/gen/fleet/v1/DrainState.js';
import type { FailureKind as FailureKindMsg } from '../../proto/gen/fleet/v1/FailureKind.js';
import type { LogStream as LogStreamMsg } from '../../proto/gen/fleet/v1/LogStream.js';
import type { NodeStatus as NodeStatusMsg } from '../../proto/gen/fleet/v1/NodeStatus.js';
import type { TaskState as TaskStateMsg } from '../../proto/gen/fleet/v1/TaskState.js';
import {
  ATTEMPT_STATES,
  CORDON_SOURCES,
  DRAIN_STATES,
  FAILURE_KINDS,
  NODE_STATUSES,
  TASK_STATES,
  type AttemptState,
  type CordonSource,
  type DrainState,
  type FailureKind,
  type LogStreamName,
  type NodeStatus,
  type TaskState,
} from '../model.js';
import { enumName, optionalEnumName } from './fields.js';

export const encodeTaskState = (s: TaskState): TaskStateMsg => `TASK_STATE_${s}`;
export const decodeTaskState = (field: string, v: unknown): TaskState => enumName(field, v, 'TASK_STATE_', TASK_STATES, 'a task state');

export const encodeAttemptState = (s: AttemptState): AttemptStateMsg => `ATTEMPT_STATE_${s}`;
export const decodeAttemptState = (field: string, v: unknown): AttemptState => enumName(field, v, 'ATTEMPT_STATE_', ATTEMPT_STATES, 'an attempt state');

/** No failure kind (a success, an attempt still running) is UNSPECIFIED. */
export const encodeFailureKind = (k: FailureKind | undefined): FailureKindMsg => (k ? `FAILURE_KIND_${k}` : 'FAILURE_KIND_UNSPECIFIED');
export const decodeFailureKind = (field: string, v: unknown): FailureKind | null => optionalEnumName(field, v, 'FAILURE_KIND_', FAILURE_KINDS, 'a failure kind');

export const encodeNodeStatus = (s: NodeStatus): NodeStatusMsg => `NODE_STATUS_${s}`;
export const decodeNodeStatus = (field: string, v: unknown): NodeStatus => enumName(field, v, 'NODE_STATUS_', NODE_STATUSES, 'a node status');

export const encodeCordonSource = (s: CordonSource | undefined): CordonSourceMsg => (s ? `CORDON_SOURCE_${s}` : 'CORDON_SOURCE_UNSPECIFIED');
export const decodeCordonSource = (field: string, v: unknown): CordonSource | null => optionalEnumName(field, v, 'CORDON_SOURCE_', CORDON_SOURCES, 'a cordon source');

/** No drain is UNSPECIFIED. */
export const encodeDrainState = (s: DrainState | undefined): DrainStateMsg => (s ? `DRAIN_STATE_${s}` : 'DRAIN_STATE_UNSPECIFIED');
export const decodeDrainState = (field: string, v: unknown): DrainState | null => optionalEnumName(field, v, 'DRAIN_STATE_', DRAIN_STATES, 'a drain state');

const LOG_STREAM_NAMES = ['STDOUT', 'STDERR'] as const;
export const encodeLogStream = (s: LogStreamName): LogStreamMsg => (s === 'stderr' ? 'LOG_STREAM_STDERR' : 'LOG_STREAM_STDOUT');
export const decodeLogStream = (field: string, v: unknown): LogStreamName => (enumName(field, v, 'LOG_STREAM_', LOG_STREAM_NAMES, 'a log stream') === 'STDERR' ? 'stderr' : 'stdout');
