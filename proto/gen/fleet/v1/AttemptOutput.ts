// Original file: proto/fleet/v1/fleet.proto

import type { LogStream as _fleet_v1_LogStream, LogStream__Output as _fleet_v1_LogStream__Output } from '../../fleet/v1/LogStream';

export interface AttemptOutput {
  'stream'?: (_fleet_v1_LogStream);
  'data'?: (Buffer | Uint8Array | string);
}

export interface AttemptOutput__Output {
  'stream': (_fleet_v1_LogStream__Output);
  'data': (Buffer);
}
