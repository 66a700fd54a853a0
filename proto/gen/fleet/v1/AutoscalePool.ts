// Original file: proto/fleet/v1/fleet.proto

import type { AutoscaleNodeRef as _fleet_v1_AutoscaleNodeRef, AutoscaleNodeRef__Output as _fleet_v1_AutoscaleNodeRef__Output } from '../../fleet/v1/AutoscaleNodeRef';
import type { AutoscaleHookCall as _fleet_v1_AutoscaleHookCall, AutoscaleHookCall__Output as _fleet_v1_AutoscaleHookCall__Output } from '../../fleet/v1/AutoscaleHookCall';
import type { Long } from '@grpc/proto-loader';

export interface AutoscalePool {
  'name'?: (string);
  'selector'?: ({[key: string]: string});
  'minNodes'?: (number);
  'maxNodes'?: (number);
  'scaleUpCooldownMs'?: (number | string | Long);
  'scaleDownCooldownMs'?: (number | string | Long);
  'createdAtMs'?: (number | string | Long);
  'updatedAtMs'?: (number | string | Long);
  'current'?: (number);
  'desired'?: (number);
  'why'?: (string);
  'decidedAtMs'?: (number | string | Long);
  'draining'?: (_fleet_v1_AutoscaleNodeRef)[];
  'released'?: (_fleet_v1_AutoscaleNodeRef)[];
  'lastCall'?: (_fleet_v1_AutoscaleHookCall | null);
  'failures'?: (number);
  'nextRetryAtMs'?: (number | string | Long);
  'callStartedAtMs'?: (number | string | Long);
  'hookConfigured'?: (boolean);
}

export interface AutoscalePool__Output {
  'name': (string);
  'selector': ({[key: string]: string});
  'minNodes': (number);
  'maxNodes': (number);
  'scaleUpCooldownMs': (number);
  'scaleDownCooldownMs': (number);
  'createdAtMs': (number);
  'updatedAtMs': (number);
  'current': (number);
  'desired': (number);
  'why': (string);
  'decidedAtMs': (number);
  'draining': (_fleet_v1_AutoscaleNodeRef__Output)[];
  'released': (_fleet_v1_AutoscaleNodeRef__Output)[];
  'lastCall': (_fleet_v1_AutoscaleHookCall__Output | null);
  'failures': (number);
  'nextRetryAtMs': (number);
  'callStartedAtMs': (number);
  'hookConfigured': (boolean);
}
