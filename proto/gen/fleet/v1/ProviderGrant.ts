// Original file: proto/fleet/v1/fleet.proto

import type { ProviderGrant as _fleet_v1_ProviderGrant, ProviderGrant__Output as _fleet_v1_ProviderGrant__Output } from '../../fleet/v1/ProviderGrant';

export interface ProviderGrant {
  'name'?: (string);
  'baseUrl'?: (string);
  'model'?: (string);
  'apiKey'?: (string);
  'fallbacks'?: (_fleet_v1_ProviderGrant)[];
  'rateLimited'?: (boolean);
}

export interface ProviderGrant__Output {
  'name': (string);
  'baseUrl': (string);
  'model': (string);
  'apiKey': (string);
  'fallbacks': (_fleet_v1_ProviderGrant__Output)[];
  'rateLimited': (boolean);
}
