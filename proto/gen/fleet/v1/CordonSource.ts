// Original file: proto/fleet/v1/fleet.proto

export const CordonSource = {
  CORDON_SOURCE_UNSPECIFIED: 'CORDON_SOURCE_UNSPECIFIED',
  CORDON_SOURCE_OPERATOR: 'CORDON_SOURCE_OPERATOR',
  CORDON_SOURCE_AUTO: 'CORDON_SOURCE_AUTO',
} as const;

export type CordonSource =
  | 'CORDON_SOURCE_UNSPECIFIED'
  | 0
  | 'CORDON_SOURCE_OPERATOR'
  | 1
  | 'CORDON_SOURCE_AUTO'
  | 2

export type CordonSource__Output = typeof CordonSource[keyof typeof CordonSource]
