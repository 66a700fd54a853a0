// Original file: proto/fleet/v1/fleet.proto

import type { ResourceLimits as _fleet_v1_ResourceLimits, ResourceLimits__Output as _fleet_v1_ResourceLimits__Output } from '../../fleet/v1/ResourceLimits';
import type { RetryPolicy as _fleet_v1_RetryPolicy, RetryPolicy__Output as _fleet_v1_RetryPolicy__Output } from '../../fleet/v1/RetryPolicy';
import type { ClineSpec as _fleet_v1_ClineSpec, ClineSpec__Output as _fleet_v1_ClineSpec__Output } from '../../fleet/v1/ClineSpec';
import type { Long } from '@grpc/proto-loader';

export interface TaskSpec {
  'image'?: (string);
  'command'?: (string)[];
  'env'?: ({[key: string]: string});
  'workingDir'?: (string);
  'resources'?: (_fleet_v1_ResourceLimits | null);
  'timeoutMs'?: (number | string | Long);
  'retry'?: (_fleet_v1_RetryPolicy | null);
  'nodeSelector'?: ({[key: string]: string});
  'priority'?: (number);
  'idempotencyKey'?: (string);
  'cline'?: (_fleet_v1_ClineSpec | null);
  'network'?: (string);
  'readOnlyRoot'?: (boolean);
  'user'?: (string);
  'team'?: (string);
}

export interface TaskSpec__Output {
  'image': (string);
  'command': (string)[];
  'env': ({[key: string]: string});
  'workingDir': (string);
  'resources': (_fleet_v1_ResourceLimits__Output | null);
  'timeoutMs': (number);
  'retry': (_fleet_v1_RetryPolicy__Output | null);
  'nodeSelector': ({[key: string]: string});
  'priority': (number);
  'idempotencyKey': (string);
  'cline': (_fleet_v1_ClineSpec__Output | null);
  'network': (string);
  'readOnlyRoot': (boolean);
  'user': (string);
  'team': (string);
}
