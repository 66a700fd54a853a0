// Original file: proto/fleet/v1/fleet.proto

import type { Long } from '@grpc/proto-loader';

export interface StreamPeer {
  'name'?: (string);
  'current'?: (boolean);
  'offline'?: (boolean);
  'lag'?: (number | string | Long);
  'activeMs'?: (number | string | Long);
}

export interface StreamPeer__Output {
  'name': (string);
  'current': (boolean);
  'offline': (boolean);
  'lag': (number);
  'activeMs': (number);
}
