// Original file: proto/fleet/v1/fleet.proto

import type { PreviousExit as _fleet_v1_PreviousExit, PreviousExit__Output as _fleet_v1_PreviousExit__Output } from '../../fleet/v1/PreviousExit';

export interface Hello {
  'name'?: (string);
  'labels'?: ({[key: string]: string});
  'slots'?: (number);
  'agentVersion'?: (string);
  'hostname'?: (string);
  'activeAttemptIds'?: (string)[];
  'previousExit'?: (_fleet_v1_PreviousExit | null);
  'protocolVersion'?: (number);
}

export interface Hello__Output {
  'name': (string);
  'labels': ({[key: string]: string});
  'slots': (number);
  'agentVersion': (string);
  'hostname': (string);
  'activeAttemptIds': (string)[];
  'previousExit': (_fleet_v1_PreviousExit__Output | null);
  'protocolVersion': (number);
}
