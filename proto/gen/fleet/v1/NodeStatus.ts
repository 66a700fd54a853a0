// Original file: proto/fleet/v1/fleet.proto

export const NodeStatus = {
  NODE_STATUS_UNSPECIFIED: 'NODE_STATUS_UNSPECIFIED',
  NODE_STATUS_READY: 'NODE_STATUS_READY',
  NODE_STATUS_DISCONNECTED: 'NODE_STATUS_DISCONNECTED',
  NODE_STATUS_DOWN: 'NODE_STATUS_DOWN',
} as const;

export type NodeStatus =
  | 'NODE_STATUS_UNSPECIFIED'
  | 0
  | 'NODE_STATUS_READY'
  | 1
  | 'NODE_STATUS_DISCONNECTED'
  | 2
  | 'NODE_STATUS_DOWN'
  | 3

export type NodeStatus__Output = typeof NodeStatus[keyof typeof NodeStatus]
