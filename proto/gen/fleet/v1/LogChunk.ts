// Original file: proto/fleet/v1/fleet.proto

import type { LogStream as _fleet_v1_LogStream, LogStream__Output as _fleet_v1_LogStream__Output } from '../../fleet/v1/LogStream';
import type { Long } from '@grpc/proto-loader';

export interface LogChunk {
  'taskId'?: (string);
  'attemptId'?: (string);
  'stream'?: (_fleet_v1_LogStream);
  'data'?: (Buffer | Uint8Array | string);
  'atMs'?: (number | string | Long);
  'seq'?: (number | string | Long);
}

export interface LogChunk__Output {
  'taskId': (string);
  'attemptId': (string);
  'stream': (_fleet_v1_LogStream__Output);
  'data': (Buffer);
  'atMs': (number);
  'seq': (number);
}
