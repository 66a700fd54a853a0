// Original file: proto/fleet/v1/fleet.proto

import type { ProviderUsage as _fleet_v1_ProviderUsage, ProviderUsage__Output as _fleet_v1_ProviderUsage__Output } from '../../fleet/v1/ProviderUsage';
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
  'maxRpm'?: (number);
  'maxTpm'?: (number | string | Long);
  'usage'?: (_fleet_v1_ProviderUsage | null);
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
  'maxRpm': (number);
  'maxTpm': (number);
  'usage': (_fleet_v1_ProviderUsage__Output | null);
}
