// Original file: proto/fleet/v1/fleet.proto

import type { Long } from '@grpc/proto-loader';

export interface PreviousExit {
  'result'?: (string);
  'exitCode'?: (string);
  'exitStatus'?: (string);
  'selfCheckProblems'?: (string);
  'atMs'?: (number | string | Long);
  'restartRequestId'?: (string);
}

export interface PreviousExit__Output {
  'result': (string);
  'exitCode': (string);
  'exitStatus': (string);
  'selfCheckProblems': (string);
  'atMs': (number);
  'restartRequestId': (string);
}
