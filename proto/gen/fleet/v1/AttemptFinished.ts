// Original file: proto/fleet/v1/fleet.proto

import type { AttemptState as _fleet_v1_AttemptState, AttemptState__Output as _fleet_v1_AttemptState__Output } from '../../fleet/v1/AttemptState';
import type { FailureKind as _fleet_v1_FailureKind, FailureKind__Output as _fleet_v1_FailureKind__Output } from '../../fleet/v1/FailureKind';

export interface AttemptFinished {
  'state'?: (_fleet_v1_AttemptState);
  'exitCode'?: (number);
  'error'?: (string);
  'failureKind'?: (_fleet_v1_FailureKind);
  '_exitCode'?: "exitCode";
}

export interface AttemptFinished__Output {
  'state': (_fleet_v1_AttemptState__Output);
  'exitCode'?: (number);
  'error': (string);
  'failureKind': (_fleet_v1_FailureKind__Output);
  '_exitCode'?: "exitCode";
}
