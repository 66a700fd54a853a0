import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { AccessToken as _fleet_v1_AccessToken, AccessToken__Output as _fleet_v1_AccessToken__Output } from './fleet/v1/AccessToken';
import type { AccessTokenRef as _fleet_v1_AccessTokenRef, AccessTokenRef__Output as _fleet_v1_AccessTokenRef__Output } from './fleet/v1/AccessTokenRef';
import type { Ack as _fleet_v1_Ack, Ack__Output as _fleet_v1_Ack__Output } from './fleet/v1/Ack';
import type { AgentProgress as _fleet_v1_AgentProgress, AgentProgress__Output as _fleet_v1_AgentProgress__Output } from './fleet/v1/AgentProgress';
import type { AgentRestart as _fleet_v1_AgentRestart, AgentRestart__Output as _fleet_v1_AgentRestart__Output } from './fleet/v1/AgentRestart';
import type { Assign as _fleet_v1_Assign, Assign__Output as _fleet_v1_Assign__Output } from './fleet/v1/Assign';
import type { Attempt as _fleet_v1_Attempt, Attempt__Output as _fleet_v1_Attempt__Output } from './fleet/v1/Attempt';
import type { AttemptEvent as _fleet_v1_AttemptEvent, AttemptEvent__Output as _fleet_v1_AttemptEvent__Output } from './fleet/v1/AttemptEvent';
import type { AttemptFinished as _fleet_v1_AttemptFinished, AttemptFinished__Output as _fleet_v1_AttemptFinished__Output } from './fleet/v1/AttemptFinished';
import type { AttemptOutput as _fleet_v1_AttemptOutput, AttemptOutput__Output as _fleet_v1_AttemptOutput__Output } from './fleet/v1/AttemptOutput';
import type { AttemptStarted as _fleet_v1_AttemptStarted, AttemptStarted__Output as _fleet_v1_AttemptStarted__Output } from './fleet/v1/AttemptStarted';
import type { AuditEntry as _fleet_v1_AuditEntry, AuditEntry__Output as _fleet_v1_AuditEntry__Output } from './fleet/v1/AuditEntry';
import type { AutoscaleHookCall as _fleet_v1_AutoscaleHookCall, AutoscaleHookCall__Output as _fleet_v1_AutoscaleHookCall__Output } from './fleet/v1/AutoscaleHookCall';
import type { AutoscaleNodeRef as _fleet_v1_AutoscaleNodeRef, AutoscaleNodeRef__Output as _fleet_v1_AutoscaleNodeRef__Output } from './fleet/v1/AutoscaleNodeRef';
import type { AutoscalePool as _fleet_v1_AutoscalePool, AutoscalePool__Output as _fleet_v1_AutoscalePool__Output } from './fleet/v1/AutoscalePool';
import type { AutoscalePoolRef as _fleet_v1_AutoscalePoolRef, AutoscalePoolRef__Output as _fleet_v1_AutoscalePoolRef__Output } from './fleet/v1/AutoscalePoolRef';
import type { BackupCheckpoint as _fleet_v1_BackupCheckpoint, BackupCheckpoint__Output as _fleet_v1_BackupCheckpoint__Output } from './fleet/v1/BackupCheckpoint';
import type { BackupGap as _fleet_v1_BackupGap, BackupGap__Output as _fleet_v1_BackupGap__Output } from './fleet/v1/BackupGap';
import type { BackupHeader as _fleet_v1_BackupHeader, BackupHeader__Output as _fleet_v1_BackupHeader__Output } from './fleet/v1/BackupHeader';
import type { BackupHeaderValue as _fleet_v1_BackupHeaderValue, BackupHeaderValue__Output as _fleet_v1_BackupHeaderValue__Output } from './fleet/v1/BackupHeaderValue';
import type { BackupMessage as _fleet_v1_BackupMessage, BackupMessage__Output as _fleet_v1_BackupMessage__Output } from './fleet/v1/BackupMessage';
import type { BackupRecord as _fleet_v1_BackupRecord, BackupRecord__Output as _fleet_v1_BackupRecord__Output } from './fleet/v1/BackupRecord';
import type { BackupStream as _fleet_v1_BackupStream, BackupStream__Output as _fleet_v1_BackupStream__Output } from './fleet/v1/BackupStream';
import type { Cancel as _fleet_v1_Cancel, Cancel__Output as _fleet_v1_Cancel__Output } from './fleet/v1/Cancel';
import type { CancelTaskRequest as _fleet_v1_CancelTaskRequest, CancelTaskRequest__Output as _fleet_v1_CancelTaskRequest__Output } from './fleet/v1/CancelTaskRequest';
import type { Certificate as _fleet_v1_Certificate, Certificate__Output as _fleet_v1_Certificate__Output } from './fleet/v1/Certificate';
import type { ChangeRolloutRequest as _fleet_v1_ChangeRolloutRequest, ChangeRolloutRequest__Output as _fleet_v1_ChangeRolloutRequest__Output } from './fleet/v1/ChangeRolloutRequest';
import type { ClineSpec as _fleet_v1_ClineSpec, ClineSpec__Output as _fleet_v1_ClineSpec__Output } from './fleet/v1/ClineSpec';
import type { ClusterStatus as _fleet_v1_ClusterStatus, ClusterStatus__Output as _fleet_v1_ClusterStatus__Output } from './fleet/v1/ClusterStatus';
import type { ControlMessage as _fleet_v1_ControlMessage, ControlMessage__Output as _fleet_v1_ControlMessage__Output } from './fleet/v1/ControlMessage';
import type { CordonNodeRequest as _fleet_v1_CordonNodeRequest, CordonNodeRequest__Output as _fleet_v1_CordonNodeRequest__Output } from './fleet/v1/CordonNodeRequest';
import type { CreateAccessTokenRequest as _fleet_v1_CreateAccessTokenRequest, CreateAccessTokenRequest__Output as _fleet_v1_CreateAccessTokenRequest__Output } from './fleet/v1/CreateAccessTokenRequest';
import type { CreateAccessTokenResponse as _fleet_v1_CreateAccessTokenResponse, CreateAccessTokenResponse__Output as _fleet_v1_CreateAccessTokenResponse__Output } from './fleet/v1/CreateAccessTokenResponse';
import type { CreateBackupRequest as _fleet_v1_CreateBackupRequest, CreateBackupRequest__Output as _fleet_v1_CreateBackupRequest__Output } from './fleet/v1/CreateBackupRequest';
import type { CreateJoinTokenRequest as _fleet_v1_CreateJoinTokenRequest, CreateJoinTokenRequest__Output as _fleet_v1_CreateJoinTokenRequest__Output } from './fleet/v1/CreateJoinTokenRequest';
import type { CreateJoinTokenResponse as _fleet_v1_CreateJoinTokenResponse, CreateJoinTokenResponse__Output as _fleet_v1_CreateJoinTokenResponse__Output } from './fleet/v1/CreateJoinTokenResponse';
import type { DeclinedAttempt as _fleet_v1_DeclinedAttempt, DeclinedAttempt__Output as _fleet_v1_DeclinedAttempt__Output } from './fleet/v1/DeclinedAttempt';
import type { DeliverTaskRequest as _fleet_v1_DeliverTaskRequest, DeliverTaskRequest__Output as _fleet_v1_DeliverTaskRequest__Output } from './fleet/v1/DeliverTaskRequest';
import type { Delivery as _fleet_v1_Delivery, Delivery__Output as _fleet_v1_Delivery__Output } from './fleet/v1/Delivery';
import type { DrainNodeRequest as _fleet_v1_DrainNodeRequest, DrainNodeRequest__Output as _fleet_v1_DrainNodeRequest__Output } from './fleet/v1/DrainNodeRequest';
import type { DrainStatus as _fleet_v1_DrainStatus, DrainStatus__Output as _fleet_v1_DrainStatus__Output } from './fleet/v1/DrainStatus';
import type { EnrollRequest as _fleet_v1_EnrollRequest, EnrollRequest__Output as _fleet_v1_EnrollRequest__Output } from './fleet/v1/EnrollRequest';
import type { EnrollResponse as _fleet_v1_EnrollResponse, EnrollResponse__Output as _fleet_v1_EnrollResponse__Output } from './fleet/v1/EnrollResponse';
import type { FleetServiceClient as _fleet_v1_FleetServiceClient, FleetServiceDefinition as _fleet_v1_FleetServiceDefinition } from './fleet/v1/FleetService';
import type { Forge as _fleet_v1_Forge, Forge__Output as _fleet_v1_Forge__Output } from './fleet/v1/Forge';
import type { ForgeRef as _fleet_v1_ForgeRef, ForgeRef__Output as _fleet_v1_ForgeRef__Output } from './fleet/v1/ForgeRef';
import type { GetClusterStatusRequest as _fleet_v1_GetClusterStatusRequest, GetClusterStatusRequest__Output as _fleet_v1_GetClusterStatusRequest__Output } from './fleet/v1/GetClusterStatusRequest';
import type { GetRolloutRequest as _fleet_v1_GetRolloutRequest, GetRolloutRequest__Output as _fleet_v1_GetRolloutRequest__Output } from './fleet/v1/GetRolloutRequest';
import type { GetRolloutResponse as _fleet_v1_GetRolloutResponse, GetRolloutResponse__Output as _fleet_v1_GetRolloutResponse__Output } from './fleet/v1/GetRolloutResponse';
import type { GetTaskLogsRequest as _fleet_v1_GetTaskLogsRequest, GetTaskLogsRequest__Output as _fleet_v1_GetTaskLogsRequest__Output } from './fleet/v1/GetTaskLogsRequest';
import type { GetTaskRequest as _fleet_v1_GetTaskRequest, GetTaskRequest__Output as _fleet_v1_GetTaskRequest__Output } from './fleet/v1/GetTaskRequest';
import type { GetTaskResultRequest as _fleet_v1_GetTaskResultRequest, GetTaskResultRequest__Output as _fleet_v1_GetTaskResultRequest__Output } from './fleet/v1/GetTaskResultRequest';
import type { GetTaskResultResponse as _fleet_v1_GetTaskResultResponse, GetTaskResultResponse__Output as _fleet_v1_GetTaskResultResponse__Output } from './fleet/v1/GetTaskResultResponse';
import type { Heartbeat as _fleet_v1_Heartbeat, Heartbeat__Output as _fleet_v1_Heartbeat__Output } from './fleet/v1/Heartbeat';
import type { HeartbeatAck as _fleet_v1_HeartbeatAck, HeartbeatAck__Output as _fleet_v1_HeartbeatAck__Output } from './fleet/v1/HeartbeatAck';
import type { Hello as _fleet_v1_Hello, Hello__Output as _fleet_v1_Hello__Output } from './fleet/v1/Hello';
import type { JoinToken as _fleet_v1_JoinToken, JoinToken__Output as _fleet_v1_JoinToken__Output } from './fleet/v1/JoinToken';
import type { JoinTokenRef as _fleet_v1_JoinTokenRef, JoinTokenRef__Output as _fleet_v1_JoinTokenRef__Output } from './fleet/v1/JoinTokenRef';
import type { LeaderStatus as _fleet_v1_LeaderStatus, LeaderStatus__Output as _fleet_v1_LeaderStatus__Output } from './fleet/v1/LeaderStatus';
import type { ListAccessTokensRequest as _fleet_v1_ListAccessTokensRequest, ListAccessTokensRequest__Output as _fleet_v1_ListAccessTokensRequest__Output } from './fleet/v1/ListAccessTokensRequest';
import type { ListAccessTokensResponse as _fleet_v1_ListAccessTokensResponse, ListAccessTokensResponse__Output as _fleet_v1_ListAccessTokensResponse__Output } from './fleet/v1/ListAccessTokensResponse';
import type { ListAuditRequest as _fleet_v1_ListAuditRequest, ListAuditRequest__Output as _fleet_v1_ListAuditRequest__Output } from './fleet/v1/ListAuditRequest';
import type { ListAutoscalePoolsRequest as _fleet_v1_ListAutoscalePoolsRequest, ListAutoscalePoolsRequest__Output as _fleet_v1_ListAutoscalePoolsRequest__Output } from './fleet/v1/ListAutoscalePoolsRequest';
import type { ListAutoscalePoolsResponse as _fleet_v1_ListAutoscalePoolsResponse, ListAutoscalePoolsResponse__Output as _fleet_v1_ListAutoscalePoolsResponse__Output } from './fleet/v1/ListAutoscalePoolsResponse';
import type { ListForgesRequest as _fleet_v1_ListForgesRequest, ListForgesRequest__Output as _fleet_v1_ListForgesRequest__Output } from './fleet/v1/ListForgesRequest';
import type { ListForgesResponse as _fleet_v1_ListForgesResponse, ListForgesResponse__Output as _fleet_v1_ListForgesResponse__Output } from './fleet/v1/ListForgesResponse';
import type { ListJoinTokensRequest as _fleet_v1_ListJoinTokensRequest, ListJoinTokensRequest__Output as _fleet_v1_ListJoinTokensRequest__Output } from './fleet/v1/ListJoinTokensRequest';
import type { ListJoinTokensResponse as _fleet_v1_ListJoinTokensResponse, ListJoinTokensResponse__Output as _fleet_v1_ListJoinTokensResponse__Output } from './fleet/v1/ListJoinTokensResponse';
import type { ListNodesRequest as _fleet_v1_ListNodesRequest, ListNodesRequest__Output as _fleet_v1_ListNodesRequest__Output } from './fleet/v1/ListNodesRequest';
import type { ListNodesResponse as _fleet_v1_ListNodesResponse, ListNodesResponse__Output as _fleet_v1_ListNodesResponse__Output } from './fleet/v1/ListNodesResponse';
import type { ListProvidersRequest as _fleet_v1_ListProvidersRequest, ListProvidersRequest__Output as _fleet_v1_ListProvidersRequest__Output } from './fleet/v1/ListProvidersRequest';
import type { ListProvidersResponse as _fleet_v1_ListProvidersResponse, ListProvidersResponse__Output as _fleet_v1_ListProvidersResponse__Output } from './fleet/v1/ListProvidersResponse';
import type { ListRolloutsRequest as _fleet_v1_ListRolloutsRequest, ListRolloutsRequest__Output as _fleet_v1_ListRolloutsRequest__Output } from './fleet/v1/ListRolloutsRequest';
import type { ListRolloutsResponse as _fleet_v1_ListRolloutsResponse, ListRolloutsResponse__Output as _fleet_v1_ListRolloutsResponse__Output } from './fleet/v1/ListRolloutsResponse';
import type { ListTasksRequest as _fleet_v1_ListTasksRequest, ListTasksRequest__Output as _fleet_v1_ListTasksRequest__Output } from './fleet/v1/ListTasksRequest';
import type { ListTasksResponse as _fleet_v1_ListTasksResponse, ListTasksResponse__Output as _fleet_v1_ListTasksResponse__Output } from './fleet/v1/ListTasksResponse';
import type { ListTeamsRequest as _fleet_v1_ListTeamsRequest, ListTeamsRequest__Output as _fleet_v1_ListTeamsRequest__Output } from './fleet/v1/ListTeamsRequest';
import type { ListTeamsResponse as _fleet_v1_ListTeamsResponse, ListTeamsResponse__Output as _fleet_v1_ListTeamsResponse__Output } from './fleet/v1/ListTeamsResponse';
import type { LogChunk as _fleet_v1_LogChunk, LogChunk__Output as _fleet_v1_LogChunk__Output } from './fleet/v1/LogChunk';
import type { Node as _fleet_v1_Node, Node__Output as _fleet_v1_Node__Output } from './fleet/v1/Node';
import type { NodeMessage as _fleet_v1_NodeMessage, NodeMessage__Output as _fleet_v1_NodeMessage__Output } from './fleet/v1/NodeMessage';
import type { NodeRef as _fleet_v1_NodeRef, NodeRef__Output as _fleet_v1_NodeRef__Output } from './fleet/v1/NodeRef';
import type { NodeResources as _fleet_v1_NodeResources, NodeResources__Output as _fleet_v1_NodeResources__Output } from './fleet/v1/NodeResources';
import type { NodeRestartRequest as _fleet_v1_NodeRestartRequest, NodeRestartRequest__Output as _fleet_v1_NodeRestartRequest__Output } from './fleet/v1/NodeRestartRequest';
import type { NodeServiceClient as _fleet_v1_NodeServiceClient, NodeServiceDefinition as _fleet_v1_NodeServiceDefinition } from './fleet/v1/NodeService';
import type { PermitAsk as _fleet_v1_PermitAsk, PermitAsk__Output as _fleet_v1_PermitAsk__Output } from './fleet/v1/PermitAsk';
import type { PermitGrant as _fleet_v1_PermitGrant, PermitGrant__Output as _fleet_v1_PermitGrant__Output } from './fleet/v1/PermitGrant';
import type { PreviousExit as _fleet_v1_PreviousExit, PreviousExit__Output as _fleet_v1_PreviousExit__Output } from './fleet/v1/PreviousExit';
import type { Provider as _fleet_v1_Provider, Provider__Output as _fleet_v1_Provider__Output } from './fleet/v1/Provider';
import type { ProviderGrant as _fleet_v1_ProviderGrant, ProviderGrant__Output as _fleet_v1_ProviderGrant__Output } from './fleet/v1/ProviderGrant';
import type { ProviderRef as _fleet_v1_ProviderRef, ProviderRef__Output as _fleet_v1_ProviderRef__Output } from './fleet/v1/ProviderRef';
import type { ProviderUsage as _fleet_v1_ProviderUsage, ProviderUsage__Output as _fleet_v1_ProviderUsage__Output } from './fleet/v1/ProviderUsage';
import type { RenewCertificate as _fleet_v1_RenewCertificate, RenewCertificate__Output as _fleet_v1_RenewCertificate__Output } from './fleet/v1/RenewCertificate';
import type { ReplicaStatus as _fleet_v1_ReplicaStatus, ReplicaStatus__Output as _fleet_v1_ReplicaStatus__Output } from './fleet/v1/ReplicaStatus';
import type { ResourceLimits as _fleet_v1_ResourceLimits, ResourceLimits__Output as _fleet_v1_ResourceLimits__Output } from './fleet/v1/ResourceLimits';
import type { Restart as _fleet_v1_Restart, Restart__Output as _fleet_v1_Restart__Output } from './fleet/v1/Restart';
import type { RestartAnswer as _fleet_v1_RestartAnswer, RestartAnswer__Output as _fleet_v1_RestartAnswer__Output } from './fleet/v1/RestartAnswer';
import type { RestartNodeRequest as _fleet_v1_RestartNodeRequest, RestartNodeRequest__Output as _fleet_v1_RestartNodeRequest__Output } from './fleet/v1/RestartNodeRequest';
import type { RestoreBackupRequest as _fleet_v1_RestoreBackupRequest, RestoreBackupRequest__Output as _fleet_v1_RestoreBackupRequest__Output } from './fleet/v1/RestoreBackupRequest';
import type { RestoreOptions as _fleet_v1_RestoreOptions, RestoreOptions__Output as _fleet_v1_RestoreOptions__Output } from './fleet/v1/RestoreOptions';
import type { RestoreProgress as _fleet_v1_RestoreProgress, RestoreProgress__Output as _fleet_v1_RestoreProgress__Output } from './fleet/v1/RestoreProgress';
import type { RetryPolicy as _fleet_v1_RetryPolicy, RetryPolicy__Output as _fleet_v1_RetryPolicy__Output } from './fleet/v1/RetryPolicy';
import type { Rollout as _fleet_v1_Rollout, Rollout__Output as _fleet_v1_Rollout__Output } from './fleet/v1/Rollout';
import type { RolloutArmStats as _fleet_v1_RolloutArmStats, RolloutArmStats__Output as _fleet_v1_RolloutArmStats__Output } from './fleet/v1/RolloutArmStats';
import type { RolloutEvent as _fleet_v1_RolloutEvent, RolloutEvent__Output as _fleet_v1_RolloutEvent__Output } from './fleet/v1/RolloutEvent';
import type { ServedBy as _fleet_v1_ServedBy, ServedBy__Output as _fleet_v1_ServedBy__Output } from './fleet/v1/ServedBy';
import type { SetAutoscalePoolRequest as _fleet_v1_SetAutoscalePoolRequest, SetAutoscalePoolRequest__Output as _fleet_v1_SetAutoscalePoolRequest__Output } from './fleet/v1/SetAutoscalePoolRequest';
import type { SetForgeRequest as _fleet_v1_SetForgeRequest, SetForgeRequest__Output as _fleet_v1_SetForgeRequest__Output } from './fleet/v1/SetForgeRequest';
import type { SetProviderRequest as _fleet_v1_SetProviderRequest, SetProviderRequest__Output as _fleet_v1_SetProviderRequest__Output } from './fleet/v1/SetProviderRequest';
import type { SetTeamRequest as _fleet_v1_SetTeamRequest, SetTeamRequest__Output as _fleet_v1_SetTeamRequest__Output } from './fleet/v1/SetTeamRequest';
import type { StartRolloutRequest as _fleet_v1_StartRolloutRequest, StartRolloutRequest__Output as _fleet_v1_StartRolloutRequest__Output } from './fleet/v1/StartRolloutRequest';
import type { StreamPeer as _fleet_v1_StreamPeer, StreamPeer__Output as _fleet_v1_StreamPeer__Output } from './fleet/v1/StreamPeer';
import type { StreamStatus as _fleet_v1_StreamStatus, StreamStatus__Output as _fleet_v1_StreamStatus__Output } from './fleet/v1/StreamStatus';
import type { SubmitTaskRequest as _fleet_v1_SubmitTaskRequest, SubmitTaskRequest__Output as _fleet_v1_SubmitTaskRequest__Output } from './fleet/v1/SubmitTaskRequest';
import type { Task as _fleet_v1_Task, Task__Output as _fleet_v1_Task__Output } from './fleet/v1/Task';
import type { TaskResult as _fleet_v1_TaskResult, TaskResult__Output as _fleet_v1_TaskResult__Output } from './fleet/v1/TaskResult';
import type { TaskSpec as _fleet_v1_TaskSpec, TaskSpec__Output as _fleet_v1_TaskSpec__Output } from './fleet/v1/TaskSpec';
import type { Team as _fleet_v1_Team, Team__Output as _fleet_v1_Team__Output } from './fleet/v1/Team';
import type { TeamBudgets as _fleet_v1_TeamBudgets, TeamBudgets__Output as _fleet_v1_TeamBudgets__Output } from './fleet/v1/TeamBudgets';
import type { TeamRef as _fleet_v1_TeamRef, TeamRef__Output as _fleet_v1_TeamRef__Output } from './fleet/v1/TeamRef';
import type { TeamSpend as _fleet_v1_TeamSpend, TeamSpend__Output as _fleet_v1_TeamSpend__Output } from './fleet/v1/TeamSpend';
import type { TeamSpendAck as _fleet_v1_TeamSpendAck, TeamSpendAck__Output as _fleet_v1_TeamSpendAck__Output } from './fleet/v1/TeamSpendAck';
import type { TeamSpendEntry as _fleet_v1_TeamSpendEntry, TeamSpendEntry__Output as _fleet_v1_TeamSpendEntry__Output } from './fleet/v1/TeamSpendEntry';
import type { TeamUsage as _fleet_v1_TeamUsage, TeamUsage__Output as _fleet_v1_TeamUsage__Output } from './fleet/v1/TeamUsage';
import type { UpdateNodeRequest as _fleet_v1_UpdateNodeRequest, UpdateNodeRequest__Output as _fleet_v1_UpdateNodeRequest__Output } from './fleet/v1/UpdateNodeRequest';
import type { Welcome as _fleet_v1_Welcome, Welcome__Output as _fleet_v1_Welcome__Output } from './fleet/v1/Welcome';
import type { WhoAmIRequest as _fleet_v1_WhoAmIRequest, WhoAmIRequest__Output as _fleet_v1_WhoAmIRequest__Output } from './fleet/v1/WhoAmIRequest';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  fleet: {
    v1: {
      AccessToken: MessageTypeDefinition<_fleet_v1_AccessToken, _fleet_v1_AccessToken__Output>
      AccessTokenRef: MessageTypeDefinition<_fleet_v1_AccessTokenRef, _fleet_v1_AccessTokenRef__Output>
      Ack: MessageTypeDefinition<_fleet_v1_Ack, _fleet_v1_Ack__Output>
      AgentProgress: MessageTypeDefinition<_fleet_v1_AgentProgress, _fleet_v1_AgentProgress__Output>
      AgentRestart: MessageTypeDefinition<_fleet_v1_AgentRestart, _fleet_v1_AgentRestart__Output>
      Assign: MessageTypeDefinition<_fleet_v1_Assign, _fleet_v1_Assign__Output>
      Attempt: MessageTypeDefinition<_fleet_v1_Attempt, _fleet_v1_Attempt__Output>
      AttemptEvent: MessageTypeDefinition<_fleet_v1_AttemptEvent, _fleet_v1_AttemptEvent__Output>
      AttemptFinished: MessageTypeDefinition<_fleet_v1_AttemptFinished, _fleet_v1_AttemptFinished__Output>
      AttemptOutput: MessageTypeDefinition<_fleet_v1_AttemptOutput, _fleet_v1_AttemptOutput__Output>
      AttemptStarted: MessageTypeDefinition<_fleet_v1_AttemptStarted, _fleet_v1_AttemptStarted__Output>
      AttemptState: EnumTypeDefinition
      AuditEntry: MessageTypeDefinition<_fleet_v1_AuditEntry, _fleet_v1_AuditEntry__Output>
      AutoscaleHookCall: MessageTypeDefinition<_fleet_v1_AutoscaleHookCall, _fleet_v1_AutoscaleHookCall__Output>
      AutoscaleNodeRef: MessageTypeDefinition<_fleet_v1_AutoscaleNodeRef, _fleet_v1_AutoscaleNodeRef__Output>
      AutoscalePool: MessageTypeDefinition<_fleet_v1_AutoscalePool, _fleet_v1_AutoscalePool__Output>
      AutoscalePoolRef: MessageTypeDefinition<_fleet_v1_AutoscalePoolRef, _fleet_v1_AutoscalePoolRef__Output>
      BackupCheckpoint: MessageTypeDefinition<_fleet_v1_BackupCheckpoint, _fleet_v1_BackupCheckpoint__Output>
      BackupGap: MessageTypeDefinition<_fleet_v1_BackupGap, _fleet_v1_BackupGap__Output>
      BackupHeader: MessageTypeDefinition<_fleet_v1_BackupHeader, _fleet_v1_BackupHeader__Output>
      BackupHeaderValue: MessageTypeDefinition<_fleet_v1_BackupHeaderValue, _fleet_v1_BackupHeaderValue__Output>
      BackupMessage: MessageTypeDefinition<_fleet_v1_BackupMessage, _fleet_v1_BackupMessage__Output>
      BackupRecord: MessageTypeDefinition<_fleet_v1_BackupRecord, _fleet_v1_BackupRecord__Output>
      BackupStream: MessageTypeDefinition<_fleet_v1_BackupStream, _fleet_v1_BackupStream__Output>
      Cancel: MessageTypeDefinition<_fleet_v1_Cancel, _fleet_v1_Cancel__Output>
      CancelTaskRequest: MessageTypeDefinition<_fleet_v1_CancelTaskRequest, _fleet_v1_CancelTaskRequest__Output>
      Certificate: MessageTypeDefinition<_fleet_v1_Certificate, _fleet_v1_Certificate__Output>
      ChangeRolloutRequest: MessageTypeDefinition<_fleet_v1_ChangeRolloutRequest, _fleet_v1_ChangeRolloutRequest__Output>
      ClineSpec: MessageTypeDefinition<_fleet_v1_ClineSpec, _fleet_v1_ClineSpec__Output>
      ClusterStatus: MessageTypeDefinition<_fleet_v1_ClusterStatus, _fleet_v1_ClusterStatus__Output>
      ControlMessage: MessageTypeDefinition<_fleet_v1_ControlMessage, _fleet_v1_ControlMessage__Output>
      CordonNodeRequest: MessageTypeDefinition<_fleet_v1_CordonNodeRequest, _fleet_v1_CordonNodeRequest__Output>
      CordonSource: EnumTypeDefinition
      CreateAccessTokenRequest: MessageTypeDefinition<_fleet_v1_CreateAccessTokenRequest, _fleet_v1_CreateAccessTokenRequest__Output>
      CreateAccessTokenResponse: MessageTypeDefinition<_fleet_v1_CreateAccessTokenResponse, _fleet_v1_CreateAccessTokenResponse__Output>
      CreateBackupRequest: MessageTypeDefinition<_fleet_v1_CreateBackupRequest, _fleet_v1_CreateBackupRequest__Output>
      CreateJoinTokenRequest: MessageTypeDefinition<_fleet_v1_CreateJoinTokenRequest, _fleet_v1_CreateJoinTokenRequest__Output>
      CreateJoinTokenResponse: MessageTypeDefinition<_fleet_v1_CreateJoinTokenResponse, _fleet_v1_CreateJoinTokenResponse__Output>
      DeclinedAttempt: MessageTypeDefinition<_fleet_v1_DeclinedAttempt, _fleet_v1_DeclinedAttempt__Output>
      DeliverTaskRequest: MessageTypeDefinition<_fleet_v1_DeliverTaskRequest, _fleet_v1_DeliverTaskRequest__Output>
      Delivery: MessageTypeDefinition<_fleet_v1_Delivery, _fleet_v1_Delivery__Output>
      DrainNodeRequest: MessageTypeDefinition<_fleet_v1_DrainNodeRequest, _fleet_v1_DrainNodeRequest__Output>
      DrainState: EnumTypeDefinition
      DrainStatus: MessageTypeDefinition<_fleet_v1_DrainStatus, _fleet_v1_DrainStatus__Output>
      EnrollRequest: MessageTypeDefinition<_fleet_v1_EnrollRequest, _fleet_v1_EnrollRequest__Output>
      EnrollResponse: MessageTypeDefinition<_fleet_v1_EnrollResponse, _fleet_v1_EnrollResponse__Output>
      FailureKind: EnumTypeDefinition
      FleetService: SubtypeConstructor<typeof grpc.Client, _fleet_v1_FleetServiceClient> & { service: _fleet_v1_FleetServiceDefinition }
      Forge: MessageTypeDefinition<_fleet_v1_Forge, _fleet_v1_Forge__Output>
      ForgeRef: MessageTypeDefinition<_fleet_v1_ForgeRef, _fleet_v1_ForgeRef__Output>
      GetClusterStatusRequest: MessageTypeDefinition<_fleet_v1_GetClusterStatusRequest, _fleet_v1_GetClusterStatusRequest__Output>
      GetRolloutRequest: MessageTypeDefinition<_fleet_v1_GetRolloutRequest, _fleet_v1_GetRolloutRequest__Output>
      GetRolloutResponse: MessageTypeDefinition<_fleet_v1_GetRolloutResponse, _fleet_v1_GetRolloutResponse__Output>
      GetTaskLogsRequest: MessageTypeDefinition<_fleet_v1_GetTaskLogsRequest, _fleet_v1_GetTaskLogsRequest__Output>
      GetTaskRequest: MessageTypeDefinition<_fleet_v1_GetTaskRequest, _fleet_v1_GetTaskRequest__Output>
      GetTaskResultRequest: MessageTypeDefinition<_fleet_v1_GetTaskResultRequest, _fleet_v1_GetTaskResultRequest__Output>
      GetTaskResultResponse: MessageTypeDefinition<_fleet_v1_GetTaskResultResponse, _fleet_v1_GetTaskResultResponse__Output>
      Heartbeat: MessageTypeDefinition<_fleet_v1_Heartbeat, _fleet_v1_Heartbeat__Output>
      HeartbeatAck: MessageTypeDefinition<_fleet_v1_HeartbeatAck, _fleet_v1_HeartbeatAck__Output>
      Hello: MessageTypeDefinition<_fleet_v1_Hello, _fleet_v1_Hello__Output>
      JoinToken: MessageTypeDefinition<_fleet_v1_JoinToken, _fleet_v1_JoinToken__Output>
      JoinTokenRef: MessageTypeDefinition<_fleet_v1_JoinTokenRef, _fleet_v1_JoinTokenRef__Output>
      LeaderStatus: MessageTypeDefinition<_fleet_v1_LeaderStatus, _fleet_v1_LeaderStatus__Output>
      ListAccessTokensRequest: MessageTypeDefinition<_fleet_v1_ListAccessTokensRequest, _fleet_v1_ListAccessTokensRequest__Output>
      ListAccessTokensResponse: MessageTypeDefinition<_fleet_v1_ListAccessTokensResponse, _fleet_v1_ListAccessTokensResponse__Output>
      ListAuditRequest: MessageTypeDefinition<_fleet_v1_ListAuditRequest, _fleet_v1_ListAuditRequest__Output>
      ListAutoscalePoolsRequest: MessageTypeDefinition<_fleet_v1_ListAutoscalePoolsRequest, _fleet_v1_ListAutoscalePoolsRequest__Output>
      ListAutoscalePoolsResponse: MessageTypeDefinition<_fleet_v1_ListAutoscalePoolsResponse, _fleet_v1_ListAutoscalePoolsResponse__Output>
      ListForgesRequest: MessageTypeDefinition<_fleet_v1_ListForgesRequest, _fleet_v1_ListForgesRequest__Output>
      ListForgesResponse: MessageTypeDefinition<_fleet_v1_ListForgesResponse, _fleet_v1_ListForgesResponse__Output>
      ListJoinTokensRequest: MessageTypeDefinition<_fleet_v1_ListJoinTokensRequest, _fleet_v1_ListJoinTokensRequest__Output>
      ListJoinTokensResponse: MessageTypeDefinition<_fleet_v1_ListJoinTokensResponse, _fleet_v1_ListJoinTokensResponse__Output>
      ListNodesRequest: MessageTypeDefinition<_fleet_v1_ListNodesRequest, _fleet_v1_ListNodesRequest__Output>
      ListNodesResponse: MessageTypeDefinition<_fleet_v1_ListNodesResponse, _fleet_v1_ListNodesResponse__Output>
      ListProvidersRequest: MessageTypeDefinition<_fleet_v1_ListProvidersRequest, _fleet_v1_ListProvidersRequest__Output>
      ListProvidersResponse: MessageTypeDefinition<_fleet_v1_ListProvidersResponse, _fleet_v1_ListProvidersResponse__Output>
      ListRolloutsRequest: MessageTypeDefinition<_fleet_v1_ListRolloutsRequest, _fleet_v1_ListRolloutsRequest__Output>
      ListRolloutsResponse: MessageTypeDefinition<_fleet_v1_ListRolloutsResponse, _fleet_v1_ListRolloutsResponse__Output>
      ListTasksRequest: MessageTypeDefinition<_fleet_v1_ListTasksRequest, _fleet_v1_ListTasksRequest__Output>
      ListTasksResponse: MessageTypeDefinition<_fleet_v1_ListTasksResponse, _fleet_v1_ListTasksResponse__Output>
      ListTeamsRequest: MessageTypeDefinition<_fleet_v1_ListTeamsRequest, _fleet_v1_ListTeamsRequest__Output>
      ListTeamsResponse: MessageTypeDefinition<_fleet_v1_ListTeamsResponse, _fleet_v1_ListTeamsResponse__Output>
      LogChunk: MessageTypeDefinition<_fleet_v1_LogChunk, _fleet_v1_LogChunk__Output>
      LogStream: EnumTypeDefinition
      Node: MessageTypeDefinition<_fleet_v1_Node, _fleet_v1_Node__Output>
      NodeMessage: MessageTypeDefinition<_fleet_v1_NodeMessage, _fleet_v1_NodeMessage__Output>
      NodeRef: MessageTypeDefinition<_fleet_v1_NodeRef, _fleet_v1_NodeRef__Output>
      NodeResources: MessageTypeDefinition<_fleet_v1_NodeResources, _fleet_v1_NodeResources__Output>
      NodeRestartRequest: MessageTypeDefinition<_fleet_v1_NodeRestartRequest, _fleet_v1_NodeRestartRequest__Output>
      NodeService: SubtypeConstructor<typeof grpc.Client, _fleet_v1_NodeServiceClient> & { service: _fleet_v1_NodeServiceDefinition }
      NodeStatus: EnumTypeDefinition
      PermitAsk: MessageTypeDefinition<_fleet_v1_PermitAsk, _fleet_v1_PermitAsk__Output>
      PermitGrant: MessageTypeDefinition<_fleet_v1_PermitGrant, _fleet_v1_PermitGrant__Output>
      PreviousExit: MessageTypeDefinition<_fleet_v1_PreviousExit, _fleet_v1_PreviousExit__Output>
      Provider: MessageTypeDefinition<_fleet_v1_Provider, _fleet_v1_Provider__Output>
      ProviderGrant: MessageTypeDefinition<_fleet_v1_ProviderGrant, _fleet_v1_ProviderGrant__Output>
      ProviderRef: MessageTypeDefinition<_fleet_v1_ProviderRef, _fleet_v1_ProviderRef__Output>
      ProviderUsage: MessageTypeDefinition<_fleet_v1_ProviderUsage, _fleet_v1_ProviderUsage__Output>
      RenewCertificate: MessageTypeDefinition<_fleet_v1_RenewCertificate, _fleet_v1_RenewCertificate__Output>
      ReplicaStatus: MessageTypeDefinition<_fleet_v1_ReplicaStatus, _fleet_v1_ReplicaStatus__Output>
      ResourceLimits: MessageTypeDefinition<_fleet_v1_ResourceLimits, _fleet_v1_ResourceLimits__Output>
      Restart: MessageTypeDefinition<_fleet_v1_Restart, _fleet_v1_Restart__Output>
      RestartAnswer: MessageTypeDefinition<_fleet_v1_RestartAnswer, _fleet_v1_RestartAnswer__Output>
      RestartNodeRequest: MessageTypeDefinition<_fleet_v1_RestartNodeRequest, _fleet_v1_RestartNodeRequest__Output>
      RestoreBackupRequest: MessageTypeDefinition<_fleet_v1_RestoreBackupRequest, _fleet_v1_RestoreBackupRequest__Output>
      RestoreOptions: MessageTypeDefinition<_fleet_v1_RestoreOptions, _fleet_v1_RestoreOptions__Output>
      RestoreProgress: MessageTypeDefinition<_fleet_v1_RestoreProgress, _fleet_v1_RestoreProgress__Output>
      RetryPolicy: MessageTypeDefinition<_fleet_v1_RetryPolicy, _fleet_v1_RetryPolicy__Output>
      Rollout: MessageTypeDefinition<_fleet_v1_Rollout, _fleet_v1_Rollout__Output>
      RolloutArmStats: MessageTypeDefinition<_fleet_v1_RolloutArmStats, _fleet_v1_RolloutArmStats__Output>
      RolloutEvent: MessageTypeDefinition<_fleet_v1_RolloutEvent, _fleet_v1_RolloutEvent__Output>
      ServedBy: MessageTypeDefinition<_fleet_v1_ServedBy, _fleet_v1_ServedBy__Output>
      SetAutoscalePoolRequest: MessageTypeDefinition<_fleet_v1_SetAutoscalePoolRequest, _fleet_v1_SetAutoscalePoolRequest__Output>
      SetForgeRequest: MessageTypeDefinition<_fleet_v1_SetForgeRequest, _fleet_v1_SetForgeRequest__Output>
      SetProviderRequest: MessageTypeDefinition<_fleet_v1_SetProviderRequest, _fleet_v1_SetProviderRequest__Output>
      SetTeamRequest: MessageTypeDefinition<_fleet_v1_SetTeamRequest, _fleet_v1_SetTeamRequest__Output>
      StartRolloutRequest: MessageTypeDefinition<_fleet_v1_StartRolloutRequest, _fleet_v1_StartRolloutRequest__Output>
      StreamPeer: MessageTypeDefinition<_fleet_v1_StreamPeer, _fleet_v1_StreamPeer__Output>
      StreamStatus: MessageTypeDefinition<_fleet_v1_StreamStatus, _fleet_v1_StreamStatus__Output>
      SubmitTaskRequest: MessageTypeDefinition<_fleet_v1_SubmitTaskRequest, _fleet_v1_SubmitTaskRequest__Output>
      Task: MessageTypeDefinition<_fleet_v1_Task, _fleet_v1_Task__Output>
      TaskResult: MessageTypeDefinition<_fleet_v1_TaskResult, _fleet_v1_TaskResult__Output>
      TaskSpec: MessageTypeDefinition<_fleet_v1_TaskSpec, _fleet_v1_TaskSpec__Output>
      TaskState: EnumTypeDefinition
      Team: MessageTypeDefinition<_fleet_v1_Team, _fleet_v1_Team__Output>
      TeamBudgets: MessageTypeDefinition<_fleet_v1_TeamBudgets, _fleet_v1_TeamBudgets__Output>
      TeamRef: MessageTypeDefinition<_fleet_v1_TeamRef, _fleet_v1_TeamRef__Output>
      TeamSpend: MessageTypeDefinition<_fleet_v1_TeamSpend, _fleet_v1_TeamSpend__Output>
      TeamSpendAck: MessageTypeDefinition<_fleet_v1_TeamSpendAck, _fleet_v1_TeamSpendAck__Output>
      TeamSpendEntry: MessageTypeDefinition<_fleet_v1_TeamSpendEntry, _fleet_v1_TeamSpendEntry__Output>
      TeamUsage: MessageTypeDefinition<_fleet_v1_TeamUsage, _fleet_v1_TeamUsage__Output>
      UpdateNodeRequest: MessageTypeDefinition<_fleet_v1_UpdateNodeRequest, _fleet_v1_UpdateNodeRequest__Output>
      Welcome: MessageTypeDefinition<_fleet_v1_Welcome, _fleet_v1_Welcome__Output>
      WhoAmIRequest: MessageTypeDefinition<_fleet_v1_WhoAmIRequest, _fleet_v1_WhoAmIRequest__Output>
    }
  }
}

