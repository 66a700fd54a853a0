// Original file: proto/fleet/v1/fleet.proto


export interface SetProviderRequest {
  'name'?: (string);
  'baseUrl'?: (string);
  'model'?: (string);
  'apiKey'?: (string);
  'insecureHttp'?: (boolean);
  'nodeSelector'?: ({[key: string]: string});
  'fallbacks'?: (string)[];
  'maxConcurrent'?: (number);
}

export interface SetProviderRequest__Output {
  'name': (string);
  'baseUrl': (string);
  'model': (string);
  'apiKey': (string);
  'insecureHttp': (boolean);
  'nodeSelector': ({[key: string]: string});
  'fallbacks': (string)[];
  'maxConcurrent': (number);
}
