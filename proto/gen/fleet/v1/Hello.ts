// Original file: proto/fleet/v1/fleet.proto


export interface Hello {
  'name'?: (string);
  'labels'?: ({[key: string]: string});
  'slots'?: (number);
  'agentVersion'?: (string);
  'hostname'?: (string);
  'activeAttemptIds'?: (string)[];
}

export interface Hello__Output {
  'name': (string);
  'labels': ({[key: string]: string});
  'slots': (number);
  'agentVersion': (string);
  'hostname': (string);
  'activeAttemptIds': (string)[];
}
