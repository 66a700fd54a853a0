// Original file: proto/fleet/v1/fleet.proto

export const FailureKind = {
  FAILURE_KIND_UNSPECIFIED: 'FAILURE_KIND_UNSPECIFIED',
  FAILURE_KIND_TASK: 'FAILURE_KIND_TASK',
  FAILURE_KIND_INFRASTRUCTURE: 'FAILURE_KIND_INFRASTRUCTURE',
} as const;

export type FailureKind =
  | 'FAILURE_KIND_UNSPECIFIED'
  | 0
  | 'FAILURE_KIND_TASK'
  | 1
  | 'FAILURE_KIND_INFRASTRUCTURE'
  | 2

export type FailureKind__Output = typeof FailureKind[keyof typeof FailureKind]
