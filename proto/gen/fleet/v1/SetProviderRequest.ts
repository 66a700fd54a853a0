// Original file: proto/fleet/v1/fleet.proto

import type { Long } from '@grpc/proto-loader';

export interface SetProviderRequest {
  'name'?: (string);
  'baseUrl'?: (string);
  'model'?: (string);
  'apiKey'?: (string);
  'insecureHttp'?: (boolean);
  'nodeSelector'?: ({[key: string]: string});
  'fallbacks'?: (string)[];
  'maxConcurrent'?: (number);
  'maxRpm'?: (number);
  'maxTpm'?: (number | string | Long);
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
  'maxRpm': (number);
  'maxTpm': (number);
}
