// Original file: proto/fleet/v1/fleet.proto

import type { TeamSpendEntry as _fleet_v1_TeamSpendEntry, TeamSpendEntry__Output as _fleet_v1_TeamSpendEntry__Output } from '../../fleet/v1/TeamSpendEntry';

export interface TeamSpend {
  'entries'?: (_fleet_v1_TeamSpendEntry)[];
  'reportId'?: (number);
}

export interface TeamSpend__Output {
  'entries': (_fleet_v1_TeamSpendEntry__Output)[];
  'reportId': (number);
}
