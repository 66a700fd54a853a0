// Original file: proto/fleet/v1/fleet.proto

import type { Long } from '@grpc/proto-loader';

export interface Provider {
  'name'?: (string);
  'baseUrl'?: (string);
  'model'?: (string);
  'updatedAtMs'?: (number | string | Long);
  'hasApiKey'?: (boolean);
  'insecureHttp'?: (boolean);
  'nodeSelector'?: ({[key: string]: string});
  'fallbacks'?: (string)[];
  'maxConcurrent'?: (number);
}

export interface Provider__Output {
  'name': (string);
  'baseUrl': (string);
  'model': (string);
  'updatedAtMs': (number);
  'hasApiKey': (boolean);
  'insecureHttp': (boolean);
  'nodeSelector': ({[key: string]: string});
  'fallbacks': (string)[];
  'maxConcurrent': (number);
}
