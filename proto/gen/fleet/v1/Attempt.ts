// Original file: proto/fleet/v1/fleet.proto

import type { AttemptState as _fleet_v1_AttemptState, AttemptState__Output as _fleet_v1_AttemptState__Output } from '../../fleet/v1/AttemptState';
import type { FailureKind as _fleet_v1_FailureKind, FailureKind__Output as _fleet_v1_FailureKind__Output } from '../../fleet/v1/FailureKind';
import type { AgentProgress as _fleet_v1_AgentProgress, AgentProgress__Output as _fleet_v1_AgentProgress__Output } from '../../fleet/v1/AgentProgress';
import type { Long } from '@grpc/proto-loader';

export interface Attempt {
  'id'?: (string);
  'nodeId'?: (string);
  'state'?: (_fleet_v1_AttemptState);
  'exitCode'?: (number);
  'error'?: (string);
  'failureKind'?: (_fleet_v1_FailureKind);
  'assignedAtMs'?: (number | string | Long);
  'startedAtMs'?: (number | string | Long);
  'finishedAtMs'?: (number | string | Long);
  'containerId'?: (string);
  'stopRequested'?: (string);
  'leaderEpoch'?: (number | string | Long);
  'progress'?: (_fleet_v1_AgentProgress | null);
  'reason'?: (string);
  'queuedMs'?: (number | string | Long);
  'image'?: (string);
  'rolloutId'?: (string);
  'rolloutArm'?: (string);
  '_exitCode'?: "exitCode";
  '_queuedMs'?: "queuedMs";
}

export interface Attempt__Output {
  'id': (string);
  'nodeId': (string);
  'state': (_fleet_v1_AttemptState__Output);
  'exitCode'?: (number);
  'error': (string);
  'failureKind': (_fleet_v1_FailureKind__Output);
  'assignedAtMs': (number);
  'startedAtMs': (number);
  'finishedAtMs': (number);
  'containerId': (string);
  'stopRequested': (string);
  'leaderEpoch': (number);
  'progress': (_fleet_v1_AgentProgress__Output | null);
  'reason': (string);
  'queuedMs'?: (number);
  'image': (string);
  'rolloutId': (string);
  'rolloutArm': (string);
  '_exitCode'?: "exitCode";
  '_queuedMs'?: "queuedMs";
}
