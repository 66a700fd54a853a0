// Original file: proto/fleet/v1/fleet.proto

export const DrainState = {
  DRAIN_STATE_UNSPECIFIED: 'DRAIN_STATE_UNSPECIFIED',
  DRAIN_STATE_DRAINING: 'DRAIN_STATE_DRAINING',
  DRAIN_STATE_DRAINED: 'DRAIN_STATE_DRAINED',
} as const;

export type DrainState =
  | 'DRAIN_STATE_UNSPECIFIED'
  | 0
  | 'DRAIN_STATE_DRAINING'
  | 1
  | 'DRAIN_STATE_DRAINED'
  | 2

export type DrainState__Output = typeof DrainState[keyof typeof DrainState]
