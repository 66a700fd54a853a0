// Original file: proto/fleet/v1/fleet.proto

import type { StreamPeer as _fleet_v1_StreamPeer, StreamPeer__Output as _fleet_v1_StreamPeer__Output } from '../../fleet/v1/StreamPeer';
import type { Long } from '@grpc/proto-loader';

export interface StreamStatus {
  'name'?: (string);
  'replicas'?: (number);
  'storage'?: (string);
  'leader'?: (string);
  'peers'?: (_fleet_v1_StreamPeer)[];
  'messages'?: (number | string | Long);
  'bytes'?: (number | string | Long);
}

export interface StreamStatus__Output {
  'name': (string);
  'replicas': (number);
  'storage': (string);
  'leader': (string);
  'peers': (_fleet_v1_StreamPeer__Output)[];
  'messages': (number);
  'bytes': (number);
}
