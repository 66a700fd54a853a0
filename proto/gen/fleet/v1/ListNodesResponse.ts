// Original file: proto/fleet/v1/fleet.proto

import type { Node as _fleet_v1_Node, Node__Output as _fleet_v1_Node__Output } from '../../fleet/v1/Node';

export interface ListNodesResponse {
  'nodes'?: (_fleet_v1_Node)[];
}

export interface ListNodesResponse__Output {
  'nodes': (_fleet_v1_Node__Output)[];
}
