// Original file: proto/fleet/v1/fleet.proto

import type { AttemptState as _fleet_v1_AttemptState, AttemptState__Output as _fleet_v1_AttemptState__Output } from '../../fleet/v1/AttemptState';
import type { FailureKind as _fleet_v1_FailureKind, FailureKind__Output as _fleet_v1_FailureKind__Output } from '../../fleet/v1/FailureKind';
import type { TaskResult as _fleet_v1_TaskResult, TaskResult__Output as _fleet_v1_TaskResult__Output } from '../../fleet/v1/TaskResult';

export interface AttemptFinished {
  'state'?: (_fleet_v1_AttemptState);
  'exitCode'?: (number);
  'error'?: (string);
  'failureKind'?: (_fleet_v1_FailureKind);
  'reason'?: (string);
  'result'?: (_fleet_v1_TaskResult | null);
  'patch'?: (Buffer | Uint8Array | string);
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
  '_exitCode'?: "exitCode";
}
