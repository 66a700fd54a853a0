// Original file: proto/fleet/v1/fleet.proto

import type { Welcome as _fleet_v1_Welcome, Welcome__Output as _fleet_v1_Welcome__Output } from '../../fleet/v1/Welcome';
import type { Assign as _fleet_v1_Assign, Assign__Output as _fleet_v1_Assign__Output } from '../../fleet/v1/Assign';
import type { Cancel as _fleet_v1_Cancel, Cancel__Output as _fleet_v1_Cancel__Output } from '../../fleet/v1/Cancel';
import type { Ack as _fleet_v1_Ack, Ack__Output as _fleet_v1_Ack__Output } from '../../fleet/v1/Ack';
import type { HeartbeatAck as _fleet_v1_HeartbeatAck, HeartbeatAck__Output as _fleet_v1_HeartbeatAck__Output } from '../../fleet/v1/HeartbeatAck';
import type { Certificate as _fleet_v1_Certificate, Certificate__Output as _fleet_v1_Certificate__Output } from '../../fleet/v1/Certificate';
import type { Restart as _fleet_v1_Restart, Restart__Output as _fleet_v1_Restart__Output } from '../../fleet/v1/Restart';
import type { PermitGrant as _fleet_v1_PermitGrant, PermitGrant__Output as _fleet_v1_PermitGrant__Output } from '../../fleet/v1/PermitGrant';
import type { TeamSpendAck as _fleet_v1_TeamSpendAck, TeamSpendAck__Output as _fleet_v1_TeamSpendAck__Output } from '../../fleet/v1/TeamSpendAck';
import type { TeamBudgets as _fleet_v1_TeamBudgets, TeamBudgets__Output as _fleet_v1_TeamBudgets__Output } from '../../fleet/v1/TeamBudgets';

export interface ControlMessage {
  'welcome'?: (_fleet_v1_Welcome | null);
  'assign'?: (_fleet_v1_Assign | null);
  'cancel'?: (_fleet_v1_Cancel | null);
  'ack'?: (_fleet_v1_Ack | null);
  'heartbeatAck'?: (_fleet_v1_HeartbeatAck | null);
  'certificate'?: (_fleet_v1_Certificate | null);
  'restart'?: (_fleet_v1_Restart | null);
  'permitGrant'?: (_fleet_v1_PermitGrant | null);
  'teamSpendAck'?: (_fleet_v1_TeamSpendAck | null);
  'teamBudgets'?: (_fleet_v1_TeamBudgets | null);
  'msg'?: "welcome"|"assign"|"cancel"|"ack"|"heartbeatAck"|"certificate"|"restart"|"permitGrant"|"teamSpendAck"|"teamBudgets";
}

export interface ControlMessage__Output {
  'welcome'?: (_fleet_v1_Welcome__Output | null);
  'assign'?: (_fleet_v1_Assign__Output | null);
  'cancel'?: (_fleet_v1_Cancel__Output | null);
  'ack'?: (_fleet_v1_Ack__Output | null);
  'heartbeatAck'?: (_fleet_v1_HeartbeatAck__Output | null);
  'certificate'?: (_fleet_v1_Certificate__Output | null);
  'restart'?: (_fleet_v1_Restart__Output | null);
  'permitGrant'?: (_fleet_v1_PermitGrant__Output | null);
  'teamSpendAck'?: (_fleet_v1_TeamSpendAck__Output | null);
  'teamBudgets'?: (_fleet_v1_TeamBudgets__Output | null);
  'msg'?: "welcome"|"assign"|"cancel"|"ack"|"heartbeatAck"|"certificate"|"restart"|"permitGrant"|"teamSpendAck"|"teamBudgets";
}
