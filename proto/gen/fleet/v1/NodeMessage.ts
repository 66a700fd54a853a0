// Original file: proto/fleet/v1/fleet.proto

import type { Hello as _fleet_v1_Hello, Hello__Output as _fleet_v1_Hello__Output } from '../../fleet/v1/Hello';
import type { Heartbeat as _fleet_v1_Heartbeat, Heartbeat__Output as _fleet_v1_Heartbeat__Output } from '../../fleet/v1/Heartbeat';
import type { AttemptEvent as _fleet_v1_AttemptEvent, AttemptEvent__Output as _fleet_v1_AttemptEvent__Output } from '../../fleet/v1/AttemptEvent';
import type { RenewCertificate as _fleet_v1_RenewCertificate, RenewCertificate__Output as _fleet_v1_RenewCertificate__Output } from '../../fleet/v1/RenewCertificate';
import type { RestartAnswer as _fleet_v1_RestartAnswer, RestartAnswer__Output as _fleet_v1_RestartAnswer__Output } from '../../fleet/v1/RestartAnswer';
import type { PermitAsk as _fleet_v1_PermitAsk, PermitAsk__Output as _fleet_v1_PermitAsk__Output } from '../../fleet/v1/PermitAsk';
import type { TeamSpend as _fleet_v1_TeamSpend, TeamSpend__Output as _fleet_v1_TeamSpend__Output } from '../../fleet/v1/TeamSpend';

export interface NodeMessage {
  'hello'?: (_fleet_v1_Hello | null);
  'heartbeat'?: (_fleet_v1_Heartbeat | null);
  'event'?: (_fleet_v1_AttemptEvent | null);
  'renew'?: (_fleet_v1_RenewCertificate | null);
  'restartAnswer'?: (_fleet_v1_RestartAnswer | null);
  'permitAsk'?: (_fleet_v1_PermitAsk | null);
  'teamSpend'?: (_fleet_v1_TeamSpend | null);
  'msg'?: "hello"|"heartbeat"|"event"|"renew"|"restartAnswer"|"permitAsk"|"teamSpend";
}

export interface NodeMessage__Output {
  'hello'?: (_fleet_v1_Hello__Output | null);
  'heartbeat'?: (_fleet_v1_Heartbeat__Output | null);
  'event'?: (_fleet_v1_AttemptEvent__Output | null);
  'renew'?: (_fleet_v1_RenewCertificate__Output | null);
  'restartAnswer'?: (_fleet_v1_RestartAnswer__Output | null);
  'permitAsk'?: (_fleet_v1_PermitAsk__Output | null);
  'teamSpend'?: (_fleet_v1_TeamSpend__Output | null);
  'msg'?: "hello"|"heartbeat"|"event"|"renew"|"restartAnswer"|"permitAsk"|"teamSpend";
}
