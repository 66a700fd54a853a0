// Original file: proto/fleet/v1/fleet.proto

import type { TeamUsage as _fleet_v1_TeamUsage, TeamUsage__Output as _fleet_v1_TeamUsage__Output } from '../../fleet/v1/TeamUsage';
import type { Long } from '@grpc/proto-loader';

export interface Team {
  'name'?: (string);
  'maxRunning'?: (number);
  'dailyTokens'?: (number | string | Long);
  'dailyCostUsd'?: (number | string);
  'weight'?: (number | string);
  'createdAtMs'?: (number | string | Long);
  'updatedAtMs'?: (number | string | Long);
  'updatedBy'?: (string);
  'usage'?: (_fleet_v1_TeamUsage | null);
}

export interface Team__Output {
  'name': (string);
  'maxRunning': (number);
  'dailyTokens': (number);
  'dailyCostUsd': (number);
  'weight': (number);
  'createdAtMs': (number);
  'updatedAtMs': (number);
  'updatedBy': (string);
  'usage': (_fleet_v1_TeamUsage__Output | null);
}
