// Original file: proto/fleet/v1/fleet.proto

import type { Long } from '@grpc/proto-loader';

export interface ClineSpec {
  'repoUrl'?: (string);
  'ref'?: (string);
  'prompt'?: (string);
  'provider'?: (string);
  'maxTokens'?: (number | string | Long);
  'maxCostUsd'?: (number | string);
  'stallTimeoutMs'?: (number | string | Long);
  'maxRepeatedToolCalls'?: (number);
  'network'?: (string);
  'deliver'?: (string);
  'forge'?: (string);
  'branch'?: (string);
  'prTitle'?: (string);
}

export interface ClineSpec__Output {
  'repoUrl': (string);
  'ref': (string);
  'prompt': (string);
  'provider': (string);
  'maxTokens': (number);
  'maxCostUsd': (number);
  'stallTimeoutMs': (number);
  'maxRepeatedToolCalls': (number);
  'network': (string);
  'deliver': (string);
  'forge': (string);
  'branch': (string);
  'prTitle': (string);
}
