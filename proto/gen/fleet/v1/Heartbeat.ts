// Original file: proto/fleet/v1/fleet.proto

import type { NodeResources as _fleet_v1_NodeResources, NodeResources__Output as _fleet_v1_NodeResources__Output } from '../../fleet/v1/NodeResources';

export interface Heartbeat {
  'resources'?: (_fleet_v1_NodeResources | null);
  'freeSlots'?: (number);
  'dockerHealthy'?: (boolean);
  'dockerError'?: (string);
  'fleetContainers'?: (number);
  'draining'?: (boolean);
}

export interface Heartbeat__Output {
  'resources': (_fleet_v1_NodeResources__Output | null);
  'freeSlots': (number);
  'dockerHealthy': (boolean);
  'dockerError': (string);
  'fleetContainers': (number);
  'draining': (boolean);
}
