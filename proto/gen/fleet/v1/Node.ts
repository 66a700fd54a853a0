// Original file: proto/fleet/v1/fleet.proto

import type { NodeStatus as _fleet_v1_NodeStatus, NodeStatus__Output as _fleet_v1_NodeStatus__Output } from '../../fleet/v1/NodeStatus';
import type { NodeResources as _fleet_v1_NodeResources, NodeResources__Output as _fleet_v1_NodeResources__Output } from '../../fleet/v1/NodeResources';
import type { DrainStatus as _fleet_v1_DrainStatus, DrainStatus__Output as _fleet_v1_DrainStatus__Output } from '../../fleet/v1/DrainStatus';
import type { CordonSource as _fleet_v1_CordonSource, CordonSource__Output as _fleet_v1_CordonSource__Output } from '../../fleet/v1/CordonSource';
import type { NodeRestartRequest as _fleet_v1_NodeRestartRequest, NodeRestartRequest__Output as _fleet_v1_NodeRestartRequest__Output } from '../../fleet/v1/NodeRestartRequest';
import type { AgentRestart as _fleet_v1_AgentRestart, AgentRestart__Output as _fleet_v1_AgentRestart__Output } from '../../fleet/v1/AgentRestart';
import type { Long } from '@grpc/proto-loader';

export interface Node {
  'id'?: (string);
  'name'?: (string);
  'labels'?: ({[key: string]: string});
  'slots'?: (number);
  'status'?: (_fleet_v1_NodeStatus);
  'enrolledAtMs'?: (number | string | Long);
  'lastHeartbeatMs'?: (number | string | Long);
  'resources'?: (_fleet_v1_NodeResources | null);
  'activeAttempts'?: (number);
  'agentVersion'?: (string);
  'hostname'?: (string);
  'dockerHealthy'?: (boolean);
  'dockerError'?: (string);
  'cordoned'?: (boolean);
  'cordonReason'?: (string);
  'drain'?: (_fleet_v1_DrainStatus | null);
  'fleetContainers'?: (number);
  'infraFailureStreak'?: (number);
  'cordonedBy'?: (_fleet_v1_CordonSource);
  'cordonedAtMs'?: (number | string | Long);
  'diskPressure'?: (string);
  'imagesOnly'?: (boolean);
  'imageCount'?: (number);
  'revokedAtMs'?: (number | string | Long);
  'certificateExpiresAtMs'?: (number | string | Long);
  'maxSlots'?: (number);
  'restartRequest'?: (_fleet_v1_NodeRestartRequest | null);
  'restarts'?: (_fleet_v1_AgentRestart)[];
  'repoKeys'?: (string)[];
}

export interface Node__Output {
  'id': (string);
  'name': (string);
  'labels': ({[key: string]: string});
  'slots': (number);
  'status': (_fleet_v1_NodeStatus__Output);
  'enrolledAtMs': (number);
  'lastHeartbeatMs': (number);
  'resources': (_fleet_v1_NodeResources__Output | null);
  'activeAttempts': (number);
  'agentVersion': (string);
  'hostname': (string);
  'dockerHealthy': (boolean);
  'dockerError': (string);
  'cordoned': (boolean);
  'cordonReason': (string);
  'drain': (_fleet_v1_DrainStatus__Output | null);
  'fleetContainers': (number);
  'infraFailureStreak': (number);
  'cordonedBy': (_fleet_v1_CordonSource__Output);
  'cordonedAtMs': (number);
  'diskPressure': (string);
  'imagesOnly': (boolean);
  'imageCount': (number);
  'revokedAtMs': (number);
  'certificateExpiresAtMs': (number);
  'maxSlots': (number);
  'restartRequest': (_fleet_v1_NodeRestartRequest__Output | null);
  'restarts': (_fleet_v1_AgentRestart__Output)[];
  'repoKeys': (string)[];
}
