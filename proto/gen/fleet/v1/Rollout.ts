// Original file: proto/fleet/v1/fleet.proto

import type { RolloutArmStats as _fleet_v1_RolloutArmStats, RolloutArmStats__Output as _fleet_v1_RolloutArmStats__Output } from '../../fleet/v1/RolloutArmStats';
import type { RolloutEvent as _fleet_v1_RolloutEvent, RolloutEvent__Output as _fleet_v1_RolloutEvent__Output } from '../../fleet/v1/RolloutEvent';
import type { Long } from '@grpc/proto-loader';

export interface Rollout {
  'id'?: (string);
  'image'?: (string);
  'baselineImage'?: (string);
  'steps'?: (number)[];
  'stepIndex'?: (number);
  'stepStartedAtMs'?: (number | string | Long);
  'stepIntervalMs'?: (number | string | Long);
  'minTasks'?: (number);
  'maxFailureIncrease'?: (number | string);
  'maxCostIncrease'?: (number | string);
  'state'?: (string);
  'reason'?: (string);
  'createdAtMs'?: (number | string | Long);
  'updatedAtMs'?: (number | string | Long);
  'endedAtMs'?: (number | string | Long);
  'createdBy'?: (string);
  'canary'?: (_fleet_v1_RolloutArmStats | null);
  'baseline'?: (_fleet_v1_RolloutArmStats | null);
  'history'?: (_fleet_v1_RolloutEvent)[];
  'currentPercent'?: (number);
  'nodesReady'?: (number);
  'nodesTotal'?: (number);
}

export interface Rollout__Output {
  'id': (string);
  'image': (string);
  'baselineImage': (string);
  'steps': (number)[];
  'stepIndex': (number);
  'stepStartedAtMs': (number);
  'stepIntervalMs': (number);
  'minTasks': (number);
  'maxFailureIncrease': (number);
  'maxCostIncrease': (number);
  'state': (string);
  'reason': (string);
  'createdAtMs': (number);
  'updatedAtMs': (number);
  'endedAtMs': (number);
  'createdBy': (string);
  'canary': (_fleet_v1_RolloutArmStats__Output | null);
  'baseline': (_fleet_v1_RolloutArmStats__Output | null);
  'history': (_fleet_v1_RolloutEvent__Output)[];
  'currentPercent': (number);
  'nodesReady': (number);
  'nodesTotal': (number);
}
