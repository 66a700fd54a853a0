// Original file: proto/fleet/v1/fleet.proto

import type { AgentProgress as _fleet_v1_AgentProgress, AgentProgress__Output as _fleet_v1_AgentProgress__Output } from '../../fleet/v1/AgentProgress';
import type { Long } from '@grpc/proto-loader';

export interface TaskResult {
  'attemptId'?: (string);
  'summary'?: (string);
  'verified'?: (boolean);
  'baseCommit'?: (string);
  'patchBytes'?: (number | string | Long);
  'filesChanged'?: (number);
  'finishReason'?: (string);
  'usage'?: (_fleet_v1_AgentProgress | null);
}

export interface TaskResult__Output {
  'attemptId': (string);
  'summary': (string);
  'verified': (boolean);
  'baseCommit': (string);
  'patchBytes': (number);
  'filesChanged': (number);
  'finishReason': (string);
  'usage': (_fleet_v1_AgentProgress__Output | null);
}
