// Original file: proto/fleet/v1/fleet.proto


export interface EnrollRequest {
  'joinToken'?: (string);
  'name'?: (string);
  'labels'?: ({[key: string]: string});
  'slots'?: (number);
  'hostname'?: (string);
  'agentVersion'?: (string);
  'csrPem'?: (string);
  'protocolVersion'?: (number);
}

export interface EnrollRequest__Output {
  'joinToken': (string);
  'name': (string);
  'labels': ({[key: string]: string});
  'slots': (number);
  'hostname': (string);
  'agentVersion': (string);
  'csrPem': (string);
  'protocolVersion': (number);
}
