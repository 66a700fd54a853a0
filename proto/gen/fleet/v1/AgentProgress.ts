// Original file: proto/fleet/v1/fleet.proto

import type { Long } from '@grpc/proto-loader';

export interface AgentProgress {
  'iterations'?: (number);
  'inputTokens'?: (number | string | Long);
  'outputTokens'?: (number | string | Long);
  'costUsd'?: (number | string);
  'lastTool'?: (string);
  'updatedAtMs'?: (number | string | Long);
}

export interface AgentProgress__Output {
  'iterations': (number);
  'inputTokens': (number);
  'outputTokens': (number);
  'costUsd': (number);
  'lastTool': (string);
  'updatedAtMs': (number);
}
