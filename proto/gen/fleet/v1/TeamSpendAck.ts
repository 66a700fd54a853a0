// Original file: proto/fleet/v1/fleet.proto


export interface TeamSpendAck {
  'reportId'?: (number);
  'uncounted'?: (boolean);
}

export interface TeamSpendAck__Output {
  'reportId': (number);
  'uncounted': (boolean);
}
