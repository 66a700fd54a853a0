// Original file: proto/fleet/v1/fleet.proto


export interface ProviderGrant {
  'name'?: (string);
  'baseUrl'?: (string);
  'model'?: (string);
  'apiKey'?: (string);
}

export interface ProviderGrant__Output {
  'name': (string);
  'baseUrl': (string);
  'model': (string);
  'apiKey': (string);
}
