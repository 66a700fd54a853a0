// Original file: proto/fleet/v1/fleet.proto


export interface SetForgeRequest {
  'name'?: (string);
  'type'?: (string);
  'baseUrl'?: (string);
  'gitUrl'?: (string);
  'token'?: (string);
  'insecureHttp'?: (boolean);
}

export interface SetForgeRequest__Output {
  'name': (string);
  'type': (string);
  'baseUrl': (string);
  'gitUrl': (string);
  'token': (string);
  'insecureHttp': (boolean);
}
