// Original file: proto/fleet/v1/fleet.proto

import type { Long } from '@grpc/proto-loader';

export interface Welcome {
  'nodeId'?: (string);
  'heartbeatIntervalMs'?: (number | string | Long);
  'stopAfterDisconnectMs'?: (number | string | Long);
  'protocolVersion'?: (number);
}

export interface Welcome__Output {
  'nodeId': (string);
  'heartbeatIntervalMs': (number);
  'stopAfterDisconnectMs': (number);
  'protocolVersion': (number);
}
