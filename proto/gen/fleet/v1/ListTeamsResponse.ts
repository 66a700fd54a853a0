// Original file: proto/fleet/v1/fleet.proto

import type { Team as _fleet_v1_Team, Team__Output as _fleet_v1_Team__Output } from '../../fleet/v1/Team';

export interface ListTeamsResponse {
  'teams'?: (_fleet_v1_Team)[];
}

export interface ListTeamsResponse__Output {
  'teams': (_fleet_v1_Team__Output)[];
}
