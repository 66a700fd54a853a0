// Original file: proto/fleet/v1/fleet.proto

import type { AttemptStarted as _fleet_v1_AttemptStarted, AttemptStarted__Output as _fleet_v1_AttemptStarted__Output } from '../../fleet/v1/AttemptStarted';
import type { AttemptOutput as _fleet_v1_AttemptOutput, AttemptOutput__Output as _fleet_v1_AttemptOutput__Output } from '../../fleet/v1/AttemptOutput';
import type { AttemptFinished as _fleet_v1_AttemptFinished, AttemptFinished__Output as _fleet_v1_AttemptFinished__Output } from '../../fleet/v1/AttemptFinished';
import type { AgentProgress as _fleet_v1_AgentProgress, AgentProgress__Output as _fleet_v1_AgentProgress__Output } from '../../fleet/v1/AgentProgress';
import type { Long } from '@grpc/proto-loader';

export interface AttemptEvent {
  'seq'?: (number | string | Long);
  'taskId'?: (string);
  'attemptId'?: (string);
  'atMs'?: (number | string | Long);
  'started'?: (_fleet_v1_AttemptStarted | null);
  'output'?: (_fleet_v1_AttemptOutput | null);
  'finished'?: (_fleet_v1_AttemptFinished | null);
  'progress'?: (_fleet_v1_AgentProgress | null);
  'kind'?: "started"|"output"|"finished"|"progress";
}

export interface AttemptEvent__Output {
  'seq': (number);
  'taskId': (string);
  'attemptId': (string);
  'atMs': (number);
  'started'?: (_fleet_v1_AttemptStarted__Output | null);
  'output'?: (_fleet_v1_AttemptOutput__Output | null);
  'finished'?: (_fleet_v1_AttemptFinished__Output | null);
  'progress'?: (_fleet_v1_AgentProgress__Output | null);
  'kind'?: "started"|"output"|"finished"|"progress";
}
