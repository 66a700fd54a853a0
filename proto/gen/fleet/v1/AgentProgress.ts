// Original file: proto/fleet/v1/fleet.proto

import type { ServedBy as _fleet_v1_ServedBy, ServedBy__Output as _fleet_v1_ServedBy__Output } from '../../fleet/v1/ServedBy';
import type { Long } from '@grpc/proto-loader';

export interface AgentProgress {
  'iterations'?: (number);
  'inputTokens'?: (number | string | Long);
  'outputTokens'?: (number | string | Long);
  'costUsd'?: (number | string);
  'lastTool'?: (string);
  'updatedAtMs'?: (number | string | Long);
  'servedBy'?: (_fleet_v1_ServedBy)[];
}

export interface AgentProgress__Output {
  'iterations': (number);
  'inputTokens': (number);
  'outputTokens': (number);
  'costUsd': (number);
  'lastTool': (string);
  'updatedAtMs': (number);
  'servedBy': (_fleet_v1_ServedBy__Output)[];
}
