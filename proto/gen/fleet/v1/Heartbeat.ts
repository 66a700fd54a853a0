// Original file: proto/fleet/v1/fleet.proto

import type { NodeResources as _fleet_v1_NodeResources, NodeResources__Output as _fleet_v1_NodeResources__Output } from '../../fleet/v1/NodeResources';
import type { DeclinedAttempt as _fleet_v1_DeclinedAttempt, DeclinedAttempt__Output as _fleet_v1_DeclinedAttempt__Output } from '../../fleet/v1/DeclinedAttempt';

export interface Heartbeat {
  'resources'?: (_fleet_v1_NodeResources | null);
  'freeSlots'?: (number);
  'dockerHealthy'?: (boolean);
  'dockerError'?: (string);
  'fleetContainers'?: (number);
  'draining'?: (boolean);
  'diskPressure'?: (string);
  'declined'?: (_fleet_v1_DeclinedAttempt)[];
  'imagesOnly'?: (boolean);
  'images'?: (string)[];
  'imagesChanged'?: (boolean);
  'prefetchedImages'?: (string)[];
  'repoKeys'?: (string)[];
  'repoKeysChanged'?: (boolean);
}

export interface Heartbeat__Output {
  'resources': (_fleet_v1_NodeResources__Output | null);
  'freeSlots': (number);
  'dockerHealthy': (boolean);
  'dockerError': (string);
  'fleetContainers': (number);
  'draining': (boolean);
  'diskPressure': (string);
  'declined': (_fleet_v1_DeclinedAttempt__Output)[];
  'imagesOnly': (boolean);
  'images': (string)[];
  'imagesChanged': (boolean);
  'prefetchedImages': (string)[];
  'repoKeys': (string)[];
  'repoKeysChanged': (boolean);
}
