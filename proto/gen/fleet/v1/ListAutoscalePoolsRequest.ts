// Original file: proto/fleet/v1/fleet.proto


export interface ListAutoscalePoolsRequest {
  'name'?: (string);
}

export interface ListAutoscalePoolsRequest__Output {
  'name': (string);
}
