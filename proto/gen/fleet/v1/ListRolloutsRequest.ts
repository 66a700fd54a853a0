// Original file: proto/fleet/v1/fleet.proto


export interface ListRolloutsRequest {
  'limit'?: (number);
}

export interface ListRolloutsRequest__Output {
  'limit': (number);
}
