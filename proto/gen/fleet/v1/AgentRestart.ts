// Original file: proto/fleet/v1/fleet.proto

import type { Long } from '@grpc/proto-loader';

export interface AgentRestart {
  'atMs'?: (number | string | Long);
  'result'?: (string);
  'exitStatus'?: (string);
  'selfCheckProblems'?: (string);
  'requested'?: (boolean);
}

export interface AgentRestart__Output {
  'atMs': (number);
  'result': (string);
  'exitStatus': (string);
  'selfCheckProblems': (string);
  'requested': (boolean);
}
