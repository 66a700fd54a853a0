// Original file: proto/fleet/v1/fleet.proto

import type { AttemptState as _fleet_v1_AttemptState, AttemptState__Output as _fleet_v1_AttemptState__Output } from '../../fleet/v1/AttemptState';
import type { FailureKind as _fleet_v1_FailureKind, FailureKind__Output as _fleet_v1_FailureKind__Output } from '../../fleet/v1/FailureKind';
import type { TaskResult as _fleet_v1_TaskResult, TaskResult__Output as _fleet_v1_TaskResult__Output } from '../../fleet/v1/TaskResult';
import type { AgentProgress as _fleet_v1_AgentProgress, AgentProgress__Output as _fleet_v1_AgentProgress__Output } from '../../fleet/v1/AgentProgress';

export interface AttemptFinished {
  'state'?: (_fleet_v1_AttemptState);
  'exitCode'?: (number);
  'error'?: (string);
  'failureKind'?: (_fleet_v1_FailureKind);
  'reason'?: (string);
  'result'?: (_fleet_v1_TaskResult | null);
  'patch'?: (Buffer | Uint8Array | string);
  'progress'?: (_fleet_v1_AgentProgress | null);
  '_exitCode'?: "exitCode";
}

export interface AttemptFinished__Output {
  'state': (_fleet_v1_AttemptState__Output);
  'exitCode'?: (number);
  'error': (string);
  'failureKind': (_fleet_v1_FailureKind__Output);
  'reason': (string);
  'result': (_fleet_v1_TaskResult__Output | null);
  'patch': (Buffer);
  'progress': (_fleet_v1_AgentProgress__Output | null);
  '_exitCode'?: "exitCode";
}
