// Original file: proto/fleet/v1/fleet.proto


export interface TeamSpendAck {
  'reportId'?: (number);
  'uncountedAttempts'?: (string)[];
}

export interface TeamSpendAck__Output {
  'reportId': (number);
  'uncountedAttempts': (string)[];
}
