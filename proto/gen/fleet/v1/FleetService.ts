// Original file: proto/fleet/v1/fleet.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AccessToken as _fleet_v1_AccessToken, AccessToken__Output as _fleet_v1_AccessToken__Output } from '../../fleet/v1/AccessToken';
import type { AccessTokenRef as _fleet_v1_AccessTokenRef, AccessTokenRef__Output as _fleet_v1_AccessTokenRef__Output } from '../../fleet/v1/AccessTokenRef';
import type { AuditEntry as _fleet_v1_AuditEntry, AuditEntry__Output as _fleet_v1_AuditEntry__Output } from '../../fleet/v1/AuditEntry';
import type { AutoscalePool as _fleet_v1_AutoscalePool, AutoscalePool__Output as _fleet_v1_AutoscalePool__Output } from '../../fleet/v1/AutoscalePool';
import type { AutoscalePoolRef as _fleet_v1_AutoscalePoolRef, AutoscalePoolRef__Output as _fleet_v1_AutoscalePoolRef__Output } from '../../fleet/v1/AutoscalePoolRef';
import type { BackupMessage as _fleet_v1_BackupMessage, BackupMessage__Output as _fleet_v1_BackupMessage__Output } from '../../fleet/v1/BackupMessage';
import type { CancelTaskRequest as _fleet_v1_CancelTaskRequest, CancelTaskRequest__Output as _fleet_v1_CancelTaskRequest__Output } from '../../fleet/v1/CancelTaskRequest';
import type { ChangeRolloutRequest as _fleet_v1_ChangeRolloutRequest, ChangeRolloutRequest__Output as _fleet_v1_ChangeRolloutRequest__Output } from '../../fleet/v1/ChangeRolloutRequest';
import type { ClusterStatus as _fleet_v1_ClusterStatus, ClusterStatus__Output as _fleet_v1_ClusterStatus__Output } from '../../fleet/v1/ClusterStatus';
import type { CordonNodeRequest as _fleet_v1_CordonNodeRequest, CordonNodeRequest__Output as _fleet_v1_CordonNodeRequest__Output } from '../../fleet/v1/CordonNodeRequest';
import type { CreateAccessTokenRequest as _fleet_v1_CreateAccessTokenRequest, CreateAccessTokenRequest__Output as _fleet_v1_CreateAccessTokenRequest__Output } from '../../fleet/v1/CreateAccessTokenRequest';
import type { CreateAccessTokenResponse as _fleet_v1_CreateAccessTokenResponse, CreateAccessTokenResponse__Output as _fleet_v1_CreateAccessTokenResponse__Output } from '../../fleet/v1/CreateAccessTokenResponse';
import type { CreateBackupRequest as _fleet_v1_CreateBackupRequest, CreateBackupRequest__Output as _fleet_v1_CreateBackupRequest__Output } from '../../fleet/v1/CreateBackupRequest';
import type { CreateJoinTokenRequest as _fleet_v1_CreateJoinTokenRequest, CreateJoinTokenRequest__Output as _fleet_v1_CreateJoinTokenRequest__Output } from '../../fleet/v1/CreateJoinTokenRequest';
import type { CreateJoinTokenResponse as _fleet_v1_CreateJoinTokenResponse, CreateJoinTokenResponse__Output as _fleet_v1_CreateJoinTokenResponse__Output } from '../../fleet/v1/CreateJoinTokenResponse';
import type { DeliverTaskRequest as _fleet_v1_DeliverTaskRequest, DeliverTaskRequest__Output as _fleet_v1_DeliverTaskRequest__Output } from '../../fleet/v1/DeliverTaskRequest';
import type { DrainNodeRequest as _fleet_v1_DrainNodeRequest, DrainNodeRequest__Output as _fleet_v1_DrainNodeRequest__Output } from '../../fleet/v1/DrainNodeRequest';
import type { Forge as _fleet_v1_Forge, Forge__Output as _fleet_v1_Forge__Output } from '../../fleet/v1/Forge';
import type { ForgeRef as _fleet_v1_ForgeRef, ForgeRef__Output as _fleet_v1_ForgeRef__Output } from '../../fleet/v1/ForgeRef';
import type { GetClusterStatusRequest as _fleet_v1_GetClusterStatusRequest, GetClusterStatusRequest__Output as _fleet_v1_GetClusterStatusRequest__Output } from '../../fleet/v1/GetClusterStatusRequest';
import type { GetRolloutRequest as _fleet_v1_GetRolloutRequest, GetRolloutRequest__Output as _fleet_v1_GetRolloutRequest__Output } from '../../fleet/v1/GetRolloutRequest';
import type { GetRolloutResponse as _fleet_v1_GetRolloutResponse, GetRolloutResponse__Output as _fleet_v1_GetRolloutResponse__Output } from '../../fleet/v1/GetRolloutResponse';
import type { GetTaskLogsRequest as _fleet_v1_GetTaskLogsRequest, GetTaskLogsRequest__Output as _fleet_v1_GetTaskLogsRequest__Output } from '../../fleet/v1/GetTaskLogsRequest';
import type { GetTaskRequest as _fleet_v1_GetTaskRequest, GetTaskRequest__Output as _fleet_v1_GetTaskRequest__Output } from '../../fleet/v1/GetTaskRequest';
import type { GetTaskResultRequest as _fleet_v1_GetTaskResultRequest, GetTaskResultRequest__Output as _fleet_v1_GetTaskResultRequest__Output } from '../../fleet/v1/GetTaskResultRequest';
import type { GetTaskResultResponse as _fleet_v1_GetTaskResultResponse, GetTaskResultResponse__Output as _fleet_v1_GetTaskResultResponse__Output } from '../../fleet/v1/GetTaskResultResponse';
import type { JoinToken as _fleet_v1_JoinToken, JoinToken__Output as _fleet_v1_JoinToken__Output } from '../../fleet/v1/JoinToken';
import type { JoinTokenRef as _fleet_v1_JoinTokenRef, JoinTokenRef__Output as _fleet_v1_JoinTokenRef__Output } from '../../fleet/v1/JoinTokenRef';
import type { ListAccessTokensRequest as _fleet_v1_ListAccessTokensRequest, ListAccessTokensRequest__Output as _fleet_v1_ListAccessTokensRequest__Output } from '../../fleet/v1/ListAccessTokensRequest';
import type { ListAccessTokensResponse as _fleet_v1_ListAccessTokensResponse, ListAccessTokensResponse__Output as _fleet_v1_ListAccessTokensResponse__Output } from '../../fleet/v1/ListAccessTokensResponse';
import type { ListAuditRequest as _fleet_v1_ListAuditRequest, ListAuditRequest__Output as _fleet_v1_ListAuditRequest__Output } from '../../fleet/v1/ListAuditRequest';
import type { ListAutoscalePoolsRequest as _fleet_v1_ListAutoscalePoolsRequest, ListAutoscalePoolsRequest__Output as _fleet_v1_ListAutoscalePoolsRequest__Output } from '../../fleet/v1/ListAutoscalePoolsRequest';
import type { ListAutoscalePoolsResponse as _fleet_v1_ListAutoscalePoolsResponse, ListAutoscalePoolsResponse__Output as _fleet_v1_ListAutoscalePoolsResponse__Output } from '../../fleet/v1/ListAutoscalePoolsResponse';
import type { ListForgesRequest as _fleet_v1_ListForgesRequest, ListForgesRequest__Output as _fleet_v1_ListForgesRequest__Output } from '../../fleet/v1/ListForgesRequest';
import type { ListForgesResponse as _fleet_v1_ListForgesResponse, ListForgesResponse__Output as _fleet_v1_ListForgesResponse__Output } from '../../fleet/v1/ListForgesResponse';
import type { ListJoinTokensRequest as _fleet_v1_ListJoinTokensRequest, ListJoinTokensRequest__Output as _fleet_v1_ListJoinTokensRequest__Output } from '../../fleet/v1/ListJoinTokensRequest';
import type { ListJoinTokensResponse as _fleet_v1_ListJoinTokensResponse, ListJoinTokensResponse__Output as _fleet_v1_ListJoinTokensResponse__Output } from '../../fleet/v1/ListJoinTokensResponse';
import type { ListNodesRequest as _fleet_v1_ListNodesRequest, ListNodesRequest__Output as _fleet_v1_ListNodesRequest__Output } from '../../fleet/v1/ListNodesRequest';
import type { ListNodesResponse as _fleet_v1_ListNodesResponse, ListNodesResponse__Output as _fleet_v1_ListNodesResponse__Output } from '../../fleet/v1/ListNodesResponse';
import type { ListProvidersRequest as _fleet_v1_ListProvidersRequest, ListProvidersRequest__Output as _fleet_v1_ListProvidersRequest__Output } from '../../fleet/v1/ListProvidersRequest';
import type { ListProvidersResponse as _fleet_v1_ListProvidersResponse, ListProvidersResponse__Output as _fleet_v1_ListProvidersResponse__Output } from '../../fleet/v1/ListProvidersResponse';
import type { ListRolloutsRequest as _fleet_v1_ListRolloutsRequest, ListRolloutsRequest__Output as _fleet_v1_ListRolloutsRequest__Output } from '../../fleet/v1/ListRolloutsRequest';
import type { ListRolloutsResponse as _fleet_v1_ListRolloutsResponse, ListRolloutsResponse__Output as _fleet_v1_ListRolloutsResponse__Output } from '../../fleet/v1/ListRolloutsResponse';
import type { ListTasksRequest as _fleet_v1_ListTasksRequest, ListTasksRequest__Output as _fleet_v1_ListTasksRequest__Output } from '../../fleet/v1/ListTasksRequest';
import type { ListTasksResponse as _fleet_v1_ListTasksResponse, ListTasksResponse__Output as _fleet_v1_ListTasksResponse__Output } from '../../fleet/v1/ListTasksResponse';
import type { ListTeamsRequest as _fleet_v1_ListTeamsRequest, ListTeamsRequest__Output as _fleet_v1_ListTeamsRequest__Output } from '../../fleet/v1/ListTeamsRequest';
import type { ListTeamsResponse as _fleet_v1_ListTeamsResponse, ListTeamsResponse__Output as _fleet_v1_ListTeamsResponse__Output } from '../../fleet/v1/ListTeamsResponse';
import type { LogChunk as _fleet_v1_LogChunk, LogChunk__Output as _fleet_v1_LogChunk__Output } from '../../fleet/v1/LogChunk';
import type { Node as _fleet_v1_Node, Node__Output as _fleet_v1_Node__Output } from '../../fleet/v1/Node';
import type { NodeRef as _fleet_v1_NodeRef, NodeRef__Output as _fleet_v1_NodeRef__Output } from '../../fleet/v1/NodeRef';
import type { Provider as _fleet_v1_Provider, Provider__Output as _fleet_v1_Provider__Output } from '../../fleet/v1/Provider';
import type { ProviderRef as _fleet_v1_ProviderRef, ProviderRef__Output as _fleet_v1_ProviderRef__Output } from '../../fleet/v1/ProviderRef';
import type { RestartNodeRequest as _fleet_v1_RestartNodeRequest, RestartNodeRequest__Output as _fleet_v1_RestartNodeRequest__Output } from '../../fleet/v1/RestartNodeRequest';
import type { RestoreBackupRequest as _fleet_v1_RestoreBackupRequest, RestoreBackupRequest__Output as _fleet_v1_RestoreBackupRequest__Output } from '../../fleet/v1/RestoreBackupRequest';
import type { RestoreProgress as _fleet_v1_RestoreProgress, RestoreProgress__Output as _fleet_v1_RestoreProgress__Output } from '../../fleet/v1/RestoreProgress';
import type { Rollout as _fleet_v1_Rollout, Rollout__Output as _fleet_v1_Rollout__Output } from '../../fleet/v1/Rollout';
import type { SetAutoscalePoolRequest as _fleet_v1_SetAutoscalePoolRequest, SetAutoscalePoolRequest__Output as _fleet_v1_SetAutoscalePoolRequest__Output } from '../../fleet/v1/SetAutoscalePoolRequest';
import type { SetForgeRequest as _fleet_v1_SetForgeRequest, SetForgeRequest__Output as _fleet_v1_SetForgeRequest__Output } from '../../fleet/v1/SetForgeRequest';
import type { SetProviderRequest as _fleet_v1_SetProviderRequest, SetProviderRequest__Output as _fleet_v1_SetProviderRequest__Output } from '../../fleet/v1/SetProviderRequest';
import type { SetTeamRequest as _fleet_v1_SetTeamRequest, SetTeamRequest__Output as _fleet_v1_SetTeamRequest__Output } from '../../fleet/v1/SetTeamRequest';
import type { StartRolloutRequest as _fleet_v1_StartRolloutRequest, StartRolloutRequest__Output as _fleet_v1_StartRolloutRequest__Output } from '../../fleet/v1/StartRolloutRequest';
import type { SubmitTaskRequest as _fleet_v1_SubmitTaskRequest, SubmitTaskRequest__Output as _fleet_v1_SubmitTaskRequest__Output } from '../../fleet/v1/SubmitTaskRequest';
import type { Task as _fleet_v1_Task, Task__Output as _fleet_v1_Task__Output } from '../../fleet/v1/Task';
import type { Team as _fleet_v1_Team, Team__Output as _fleet_v1_Team__Output } from '../../fleet/v1/Team';
import type { TeamRef as _fleet_v1_TeamRef, TeamRef__Output as _fleet_v1_TeamRef__Output } from '../../fleet/v1/TeamRef';
import type { UpdateNodeRequest as _fleet_v1_UpdateNodeRequest, UpdateNodeRequest__Output as _fleet_v1_UpdateNodeRequest__Output } from '../../fleet/v1/UpdateNodeRequest';
import type { WhoAmIRequest as _fleet_v1_WhoAmIRequest, WhoAmIRequest__Output as _fleet_v1_WhoAmIRequest__Output } from '../../fleet/v1/WhoAmIRequest';

export interface FleetServiceClient extends grpc.Client {
  CancelTask(argument: _fleet_v1_CancelTaskRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Task__Output>): grpc.ClientUnaryCall;
  CancelTask(argument: _fleet_v1_CancelTaskRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_Task__Output>): grpc.ClientUnaryCall;
  CancelTask(argument: _fleet_v1_CancelTaskRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Task__Output>): grpc.ClientUnaryCall;
  CancelTask(argument: _fleet_v1_CancelTaskRequest, callback: grpc.requestCallback<_fleet_v1_Task__Output>): grpc.ClientUnaryCall;
  cancelTask(argument: _fleet_v1_CancelTaskRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Task__Output>): grpc.ClientUnaryCall;
  cancelTask(argument: _fleet_v1_CancelTaskRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_Task__Output>): grpc.ClientUnaryCall;
  cancelTask(argument: _fleet_v1_CancelTaskRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Task__Output>): grpc.ClientUnaryCall;
  cancelTask(argument: _fleet_v1_CancelTaskRequest, callback: grpc.requestCallback<_fleet_v1_Task__Output>): grpc.ClientUnaryCall;
  
  ChangeRollout(argument: _fleet_v1_ChangeRolloutRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Rollout__Output>): grpc.ClientUnaryCall;
  ChangeRollout(argument: _fleet_v1_ChangeRolloutRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_Rollout__Output>): grpc.ClientUnaryCall;
  ChangeRollout(argument: _fleet_v1_ChangeRolloutRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Rollout__Output>): grpc.ClientUnaryCall;
  ChangeRollout(argument: _fleet_v1_ChangeRolloutRequest, callback: grpc.requestCallback<_fleet_v1_Rollout__Output>): grpc.ClientUnaryCall;
  changeRollout(argument: _fleet_v1_ChangeRolloutRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Rollout__Output>): grpc.ClientUnaryCall;
  changeRollout(argument: _fleet_v1_ChangeRolloutRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_Rollout__Output>): grpc.ClientUnaryCall;
  changeRollout(argument: _fleet_v1_ChangeRolloutRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Rollout__Output>): grpc.ClientUnaryCall;
  changeRollout(argument: _fleet_v1_ChangeRolloutRequest, callback: grpc.requestCallback<_fleet_v1_Rollout__Output>): grpc.ClientUnaryCall;
  
  CordonNode(argument: _fleet_v1_CordonNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Node__Output>): grpc.ClientUnaryCall;
  CordonNode(argument: _fleet_v1_CordonNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_Node__Output>): grpc.ClientUnaryCall;
  CordonNode(argument: _fleet_v1_CordonNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Node__Output>): grpc.ClientUnaryCall;
  CordonNode(argument: _fleet_v1_CordonNodeRequest, callback: grpc.requestCallback<_fleet_v1_Node__Output>): grpc.ClientUnaryCall;
  cordonNode(argument: _fleet_v1_CordonNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Node__Output>): grpc.ClientUnaryCall;
  cordonNode(argument: _fleet_v1_CordonNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_Node__Output>): grpc.ClientUnaryCall;
  cordonNode(argument: _fleet_v1_CordonNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Node__Output>): grpc.ClientUnaryCall;
  cordonNode(argument: _fleet_v1_CordonNodeRequest, callback: grpc.requestCallback<_fleet_v1_Node__Output>): grpc.ClientUnaryCall;
  
  CreateAccessToken(argument: _fleet_v1_CreateAccessTokenRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_CreateAccessTokenResponse__Output>): grpc.ClientUnaryCall;
  CreateAccessToken(argument: _fleet_v1_CreateAccessTokenRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_CreateAccessTokenResponse__Output>): grpc.ClientUnaryCall;
  CreateAccessToken(argument: _fleet_v1_CreateAccessTokenRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_CreateAccessTokenResponse__Output>): grpc.ClientUnaryCall;
  CreateAccessToken(argument: _fleet_v1_CreateAccessTokenRequest, callback: grpc.requestCallback<_fleet_v1_CreateAccessTokenResponse__Output>): grpc.ClientUnaryCall;
  createAccessToken(argument: _fleet_v1_CreateAccessTokenRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_CreateAccessTokenResponse__Output>): grpc.ClientUnaryCall;
  createAccessToken(argument: _fleet_v1_CreateAccessTokenRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_CreateAccessTokenResponse__Output>): grpc.ClientUnaryCall;
  createAccessToken(argument: _fleet_v1_CreateAccessTokenRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_CreateAccessTokenResponse__Output>): grpc.ClientUnaryCall;
  createAccessToken(argument: _fleet_v1_CreateAccessTokenRequest, callback: grpc.requestCallback<_fleet_v1_CreateAccessTokenResponse__Output>): grpc.ClientUnaryCall;
  
  CreateBackup(argument: _fleet_v1_CreateBackupRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_fleet_v1_BackupMessage__Output>;
  CreateBackup(argument: _fleet_v1_CreateBackupRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_fleet_v1_BackupMessage__Output>;
  createBackup(argument: _fleet_v1_CreateBackupRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_fleet_v1_BackupMessage__Output>;
  createBackup(argument: _fleet_v1_CreateBackupRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_fleet_v1_BackupMessage__Output>;
  
  CreateJoinToken(argument: _fleet_v1_CreateJoinTokenRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_CreateJoinTokenResponse__Output>): grpc.ClientUnaryCall;
  CreateJoinToken(argument: _fleet_v1_CreateJoinTokenRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_CreateJoinTokenResponse__Output>): grpc.ClientUnaryCall;
  CreateJoinToken(argument: _fleet_v1_CreateJoinTokenRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_CreateJoinTokenResponse__Output>): grpc.ClientUnaryCall;
  CreateJoinToken(argument: _fleet_v1_CreateJoinTokenRequest, callback: grpc.requestCallback<_fleet_v1_CreateJoinTokenResponse__Output>): grpc.ClientUnaryCall;
  createJoinToken(argument: _fleet_v1_CreateJoinTokenRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_CreateJoinTokenResponse__Output>): grpc.ClientUnaryCall;
  createJoinToken(argument: _fleet_v1_CreateJoinTokenRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_CreateJoinTokenResponse__Output>): grpc.ClientUnaryCall;
  createJoinToken(argument: _fleet_v1_CreateJoinTokenRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_CreateJoinTokenResponse__Output>): grpc.ClientUnaryCall;
  createJoinToken(argument: _fleet_v1_CreateJoinTokenRequest, callback: grpc.requestCallback<_fleet_v1_CreateJoinTokenResponse__Output>): grpc.ClientUnaryCall;
  
  DeleteAutoscalePool(argument: _fleet_v1_AutoscalePoolRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_AutoscalePool__Output>): grpc.ClientUnaryCall;
  DeleteAutoscalePool(argument: _fleet_v1_AutoscalePoolRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_AutoscalePool__Output>): grpc.ClientUnaryCall;
  DeleteAutoscalePool(argument: _fleet_v1_AutoscalePoolRef, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_AutoscalePool__Output>): grpc.ClientUnaryCall;
  DeleteAutoscalePool(argument: _fleet_v1_AutoscalePoolRef, callback: grpc.requestCallback<_fleet_v1_AutoscalePool__Output>): grpc.ClientUnaryCall;
  deleteAutoscalePool(argument: _fleet_v1_AutoscalePoolRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_AutoscalePool__Output>): grpc.ClientUnaryCall;
  deleteAutoscalePool(argument: _fleet_v1_AutoscalePoolRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_AutoscalePool__Output>): grpc.ClientUnaryCall;
  deleteAutoscalePool(argument: _fleet_v1_AutoscalePoolRef, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_AutoscalePool__Output>): grpc.ClientUnaryCall;
  deleteAutoscalePool(argument: _fleet_v1_AutoscalePoolRef, callback: grpc.requestCallback<_fleet_v1_AutoscalePool__Output>): grpc.ClientUnaryCall;
  
  DeleteForge(argument: _fleet_v1_ForgeRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Forge__Output>): grpc.ClientUnaryCall;
  DeleteForge(argument: _fleet_v1_ForgeRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_Forge__Output>): grpc.ClientUnaryCall;
  DeleteForge(argument: _fleet_v1_ForgeRef, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Forge__Output>): grpc.ClientUnaryCall;
  DeleteForge(argument: _fleet_v1_ForgeRef, callback: grpc.requestCallback<_fleet_v1_Forge__Output>): grpc.ClientUnaryCall;
  deleteForge(argument: _fleet_v1_ForgeRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Forge__Output>): grpc.ClientUnaryCall;
  deleteForge(argument: _fleet_v1_ForgeRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_Forge__Output>): grpc.ClientUnaryCall;
  deleteForge(argument: _fleet_v1_ForgeRef, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Forge__Output>): grpc.ClientUnaryCall;
  deleteForge(argument: _fleet_v1_ForgeRef, callback: grpc.requestCallback<_fleet_v1_Forge__Output>): grpc.ClientUnaryCall;
  
  DeleteProvider(argument: _fleet_v1_ProviderRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Provider__Output>): grpc.ClientUnaryCall;
  DeleteProvider(argument: _fleet_v1_ProviderRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_Provider__Output>): grpc.ClientUnaryCall;
  DeleteProvider(argument: _fleet_v1_ProviderRef, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Provider__Output>): grpc.ClientUnaryCall;
  DeleteProvider(argument: _fleet_v1_ProviderRef, callback: grpc.requestCallback<_fleet_v1_Provider__Output>): grpc.ClientUnaryCall;
  deleteProvider(argument: _fleet_v1_ProviderRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Provider__Output>): grpc.ClientUnaryCall;
  deleteProvider(argument: _fleet_v1_ProviderRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_Provider__Output>): grpc.ClientUnaryCall;
  deleteProvider(argument: _fleet_v1_ProviderRef, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Provider__Output>): grpc.ClientUnaryCall;
  deleteProvider(argument: _fleet_v1_ProviderRef, callback: grpc.requestCallback<_fleet_v1_Provider__Output>): grpc.ClientUnaryCall;
  
  DeliverTask(argument: _fleet_v1_DeliverTaskRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Task__Output>): grpc.ClientUnaryCall;
  DeliverTask(argument: _fleet_v1_DeliverTaskRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_Task__Output>): grpc.ClientUnaryCall;
  DeliverTask(argument: _fleet_v1_DeliverTaskRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Task__Output>): grpc.ClientUnaryCall;
  DeliverTask(argument: _fleet_v1_DeliverTaskRequest, callback: grpc.requestCallback<_fleet_v1_Task__Output>): grpc.ClientUnaryCall;
  deliverTask(argument: _fleet_v1_DeliverTaskRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Task__Output>): grpc.ClientUnaryCall;
  deliverTask(argument: _fleet_v1_DeliverTaskRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_Task__Output>): grpc.ClientUnaryCall;
  deliverTask(argument: _fleet_v1_DeliverTaskRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Task__Output>): grpc.ClientUnaryCall;
  deliverTask(argument: _fleet_v1_DeliverTaskRequest, callback: grpc.requestCallback<_fleet_v1_Task__Output>): grpc.ClientUnaryCall;
  
  DrainNode(argument: _fleet_v1_DrainNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Node__Output>): grpc.ClientUnaryCall;
  DrainNode(argument: _fleet_v1_DrainNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_Node__Output>): grpc.ClientUnaryCall;
  DrainNode(argument: _fleet_v1_DrainNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Node__Output>): grpc.ClientUnaryCall;
  DrainNode(argument: _fleet_v1_DrainNodeRequest, callback: grpc.requestCallback<_fleet_v1_Node__Output>): grpc.ClientUnaryCall;
  drainNode(argument: _fleet_v1_DrainNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Node__Output>): grpc.ClientUnaryCall;
  drainNode(argument: _fleet_v1_DrainNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_Node__Output>): grpc.ClientUnaryCall;
  drainNode(argument: _fleet_v1_DrainNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Node__Output>): grpc.ClientUnaryCall;
  drainNode(argument: _fleet_v1_DrainNodeRequest, callback: grpc.requestCallback<_fleet_v1_Node__Output>): grpc.ClientUnaryCall;
  
  GetClusterStatus(argument: _fleet_v1_GetClusterStatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_ClusterStatus__Output>): grpc.ClientUnaryCall;
  GetClusterStatus(argument: _fleet_v1_GetClusterStatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_ClusterStatus__Output>): grpc.ClientUnaryCall;
  GetClusterStatus(argument: _fleet_v1_GetClusterStatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_ClusterStatus__Output>): grpc.ClientUnaryCall;
  GetClusterStatus(argument: _fleet_v1_GetClusterStatusRequest, callback: grpc.requestCallback<_fleet_v1_ClusterStatus__Output>): grpc.ClientUnaryCall;
  getClusterStatus(argument: _fleet_v1_GetClusterStatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_ClusterStatus__Output>): grpc.ClientUnaryCall;
  getClusterStatus(argument: _fleet_v1_GetClusterStatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_ClusterStatus__Output>): grpc.ClientUnaryCall;
  getClusterStatus(argument: _fleet_v1_GetClusterStatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_ClusterStatus__Output>): grpc.ClientUnaryCall;
  getClusterStatus(argument: _fleet_v1_GetClusterStatusRequest, callback: grpc.requestCallback<_fleet_v1_ClusterStatus__Output>): grpc.ClientUnaryCall;
  
  GetRollout(argument: _fleet_v1_GetRolloutRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_GetRolloutResponse__Output>): grpc.ClientUnaryCall;
  GetRollout(argument: _fleet_v1_GetRolloutRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_GetRolloutResponse__Output>): grpc.ClientUnaryCall;
  GetRollout(argument: _fleet_v1_GetRolloutRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_GetRolloutResponse__Output>): grpc.ClientUnaryCall;
  GetRollout(argument: _fleet_v1_GetRolloutRequest, callback: grpc.requestCallback<_fleet_v1_GetRolloutResponse__Output>): grpc.ClientUnaryCall;
  getRollout(argument: _fleet_v1_GetRolloutRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_GetRolloutResponse__Output>): grpc.ClientUnaryCall;
  getRollout(argument: _fleet_v1_GetRolloutRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_GetRolloutResponse__Output>): grpc.ClientUnaryCall;
  getRollout(argument: _fleet_v1_GetRolloutRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_GetRolloutResponse__Output>): grpc.ClientUnaryCall;
  getRollout(argument: _fleet_v1_GetRolloutRequest, callback: grpc.requestCallback<_fleet_v1_GetRolloutResponse__Output>): grpc.ClientUnaryCall;
  
  GetTask(argument: _fleet_v1_GetTaskRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Task__Output>): grpc.ClientUnaryCall;
  GetTask(argument: _fleet_v1_GetTaskRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_Task__Output>): grpc.ClientUnaryCall;
  GetTask(argument: _fleet_v1_GetTaskRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Task__Output>): grpc.ClientUnaryCall;
  GetTask(argument: _fleet_v1_GetTaskRequest, callback: grpc.requestCallback<_fleet_v1_Task__Output>): grpc.ClientUnaryCall;
  getTask(argument: _fleet_v1_GetTaskRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Task__Output>): grpc.ClientUnaryCall;
  getTask(argument: _fleet_v1_GetTaskRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_Task__Output>): grpc.ClientUnaryCall;
  getTask(argument: _fleet_v1_GetTaskRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Task__Output>): grpc.ClientUnaryCall;
  getTask(argument: _fleet_v1_GetTaskRequest, callback: grpc.requestCallback<_fleet_v1_Task__Output>): grpc.ClientUnaryCall;
  
  GetTaskLogs(argument: _fleet_v1_GetTaskLogsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_fleet_v1_LogChunk__Output>;
  GetTaskLogs(argument: _fleet_v1_GetTaskLogsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_fleet_v1_LogChunk__Output>;
  getTaskLogs(argument: _fleet_v1_GetTaskLogsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_fleet_v1_LogChunk__Output>;
  getTaskLogs(argument: _fleet_v1_GetTaskLogsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_fleet_v1_LogChunk__Output>;
  
  GetTaskResult(argument: _fleet_v1_GetTaskResultRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_GetTaskResultResponse__Output>): grpc.ClientUnaryCall;
  GetTaskResult(argument: _fleet_v1_GetTaskResultRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_GetTaskResultResponse__Output>): grpc.ClientUnaryCall;
  GetTaskResult(argument: _fleet_v1_GetTaskResultRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_GetTaskResultResponse__Output>): grpc.ClientUnaryCall;
  GetTaskResult(argument: _fleet_v1_GetTaskResultRequest, callback: grpc.requestCallback<_fleet_v1_GetTaskResultResponse__Output>): grpc.ClientUnaryCall;
  getTaskResult(argument: _fleet_v1_GetTaskResultRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_GetTaskResultResponse__Output>): grpc.ClientUnaryCall;
  getTaskResult(argument: _fleet_v1_GetTaskResultRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_GetTaskResultResponse__Output>): grpc.ClientUnaryCall;
  getTaskResult(argument: _fleet_v1_GetTaskResultRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_GetTaskResultResponse__Output>): grpc.ClientUnaryCall;
  getTaskResult(argument: _fleet_v1_GetTaskResultRequest, callback: grpc.requestCallback<_fleet_v1_GetTaskResultResponse__Output>): grpc.ClientUnaryCall;
  
  GetTeam(argument: _fleet_v1_TeamRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Team__Output>): grpc.ClientUnaryCall;
  GetTeam(argument: _fleet_v1_TeamRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_Team__Output>): grpc.ClientUnaryCall;
  GetTeam(argument: _fleet_v1_TeamRef, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Team__Output>): grpc.ClientUnaryCall;
  GetTeam(argument: _fleet_v1_TeamRef, callback: grpc.requestCallback<_fleet_v1_Team__Output>): grpc.ClientUnaryCall;
  getTeam(argument: _fleet_v1_TeamRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Team__Output>): grpc.ClientUnaryCall;
  getTeam(argument: _fleet_v1_TeamRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_Team__Output>): grpc.ClientUnaryCall;
  getTeam(argument: _fleet_v1_TeamRef, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Team__Output>): grpc.ClientUnaryCall;
  getTeam(argument: _fleet_v1_TeamRef, callback: grpc.requestCallback<_fleet_v1_Team__Output>): grpc.ClientUnaryCall;
  
  ListAccessTokens(argument: _fleet_v1_ListAccessTokensRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_ListAccessTokensResponse__Output>): grpc.ClientUnaryCall;
  ListAccessTokens(argument: _fleet_v1_ListAccessTokensRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_ListAccessTokensResponse__Output>): grpc.ClientUnaryCall;
  ListAccessTokens(argument: _fleet_v1_ListAccessTokensRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_ListAccessTokensResponse__Output>): grpc.ClientUnaryCall;
  ListAccessTokens(argument: _fleet_v1_ListAccessTokensRequest, callback: grpc.requestCallback<_fleet_v1_ListAccessTokensResponse__Output>): grpc.ClientUnaryCall;
  listAccessTokens(argument: _fleet_v1_ListAccessTokensRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_ListAccessTokensResponse__Output>): grpc.ClientUnaryCall;
  listAccessTokens(argument: _fleet_v1_ListAccessTokensRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_ListAccessTokensResponse__Output>): grpc.ClientUnaryCall;
  listAccessTokens(argument: _fleet_v1_ListAccessTokensRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_ListAccessTokensResponse__Output>): grpc.ClientUnaryCall;
  listAccessTokens(argument: _fleet_v1_ListAccessTokensRequest, callback: grpc.requestCallback<_fleet_v1_ListAccessTokensResponse__Output>): grpc.ClientUnaryCall;
  
  ListAudit(argument: _fleet_v1_ListAuditRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_fleet_v1_AuditEntry__Output>;
  ListAudit(argument: _fleet_v1_ListAuditRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_fleet_v1_AuditEntry__Output>;
  listAudit(argument: _fleet_v1_ListAuditRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_fleet_v1_AuditEntry__Output>;
  listAudit(argument: _fleet_v1_ListAuditRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_fleet_v1_AuditEntry__Output>;
  
  ListAutoscalePools(argument: _fleet_v1_ListAutoscalePoolsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_ListAutoscalePoolsResponse__Output>): grpc.ClientUnaryCall;
  ListAutoscalePools(argument: _fleet_v1_ListAutoscalePoolsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_ListAutoscalePoolsResponse__Output>): grpc.ClientUnaryCall;
  ListAutoscalePools(argument: _fleet_v1_ListAutoscalePoolsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_ListAutoscalePoolsResponse__Output>): grpc.ClientUnaryCall;
  ListAutoscalePools(argument: _fleet_v1_ListAutoscalePoolsRequest, callback: grpc.requestCallback<_fleet_v1_ListAutoscalePoolsResponse__Output>): grpc.ClientUnaryCall;
  listAutoscalePools(argument: _fleet_v1_ListAutoscalePoolsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_ListAutoscalePoolsResponse__Output>): grpc.ClientUnaryCall;
  listAutoscalePools(argument: _fleet_v1_ListAutoscalePoolsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_ListAutoscalePoolsResponse__Output>): grpc.ClientUnaryCall;
  listAutoscalePools(argument: _fleet_v1_ListAutoscalePoolsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_ListAutoscalePoolsResponse__Output>): grpc.ClientUnaryCall;
  listAutoscalePools(argument: _fleet_v1_ListAutoscalePoolsRequest, callback: grpc.requestCallback<_fleet_v1_ListAutoscalePoolsResponse__Output>): grpc.ClientUnaryCall;
  
  ListForges(argument: _fleet_v1_ListForgesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_ListForgesResponse__Output>): grpc.ClientUnaryCall;
  ListForges(argument: _fleet_v1_ListForgesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_ListForgesResponse__Output>): grpc.ClientUnaryCall;
  ListForges(argument: _fleet_v1_ListForgesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_ListForgesResponse__Output>): grpc.ClientUnaryCall;
  ListForges(argument: _fleet_v1_ListForgesRequest, callback: grpc.requestCallback<_fleet_v1_ListForgesResponse__Output>): grpc.ClientUnaryCall;
  listForges(argument: _fleet_v1_ListForgesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_ListForgesResponse__Output>): grpc.ClientUnaryCall;
  listForges(argument: _fleet_v1_ListForgesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_ListForgesResponse__Output>): grpc.ClientUnaryCall;
  listForges(argument: _fleet_v1_ListForgesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_ListForgesResponse__Output>): grpc.ClientUnaryCall;
  listForges(argument: _fleet_v1_ListForgesRequest, callback: grpc.requestCallback<_fleet_v1_ListForgesResponse__Output>): grpc.ClientUnaryCall;
  
  ListJoinTokens(argument: _fleet_v1_ListJoinTokensRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_ListJoinTokensResponse__Output>): grpc.ClientUnaryCall;
  ListJoinTokens(argument: _fleet_v1_ListJoinTokensRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_ListJoinTokensResponse__Output>): grpc.ClientUnaryCall;
  ListJoinTokens(argument: _fleet_v1_ListJoinTokensRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_ListJoinTokensResponse__Output>): grpc.ClientUnaryCall;
  ListJoinTokens(argument: _fleet_v1_ListJoinTokensRequest, callback: grpc.requestCallback<_fleet_v1_ListJoinTokensResponse__Output>): grpc.ClientUnaryCall;
  listJoinTokens(argument: _fleet_v1_ListJoinTokensRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_ListJoinTokensResponse__Output>): grpc.ClientUnaryCall;
  listJoinTokens(argument: _fleet_v1_ListJoinTokensRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_ListJoinTokensResponse__Output>): grpc.ClientUnaryCall;
  listJoinTokens(argument: _fleet_v1_ListJoinTokensRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_ListJoinTokensResponse__Output>): grpc.ClientUnaryCall;
  listJoinTokens(argument: _fleet_v1_ListJoinTokensRequest, callback: grpc.requestCallback<_fleet_v1_ListJoinTokensResponse__Output>): grpc.ClientUnaryCall;
  
  ListNodes(argument: _fleet_v1_ListNodesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_ListNodesResponse__Output>): grpc.ClientUnaryCall;
  ListNodes(argument: _fleet_v1_ListNodesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_ListNodesResponse__Output>): grpc.ClientUnaryCall;
  ListNodes(argument: _fleet_v1_ListNodesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_ListNodesResponse__Output>): grpc.ClientUnaryCall;
  ListNodes(argument: _fleet_v1_ListNodesRequest, callback: grpc.requestCallback<_fleet_v1_ListNodesResponse__Output>): grpc.ClientUnaryCall;
  listNodes(argument: _fleet_v1_ListNodesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_ListNodesResponse__Output>): grpc.ClientUnaryCall;
  listNodes(argument: _fleet_v1_ListNodesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_ListNodesResponse__Output>): grpc.ClientUnaryCall;
  listNodes(argument: _fleet_v1_ListNodesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_ListNodesResponse__Output>): grpc.ClientUnaryCall;
  listNodes(argument: _fleet_v1_ListNodesRequest, callback: grpc.requestCallback<_fleet_v1_ListNodesResponse__Output>): grpc.ClientUnaryCall;
  
  ListProviders(argument: _fleet_v1_ListProvidersRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_ListProvidersResponse__Output>): grpc.ClientUnaryCall;
  ListProviders(argument: _fleet_v1_ListProvidersRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_ListProvidersResponse__Output>): grpc.ClientUnaryCall;
  ListProviders(argument: _fleet_v1_ListProvidersRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_ListProvidersResponse__Output>): grpc.ClientUnaryCall;
  ListProviders(argument: _fleet_v1_ListProvidersRequest, callback: grpc.requestCallback<_fleet_v1_ListProvidersResponse__Output>): grpc.ClientUnaryCall;
  listProviders(argument: _fleet_v1_ListProvidersRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_ListProvidersResponse__Output>): grpc.ClientUnaryCall;
  listProviders(argument: _fleet_v1_ListProvidersRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_ListProvidersResponse__Output>): grpc.ClientUnaryCall;
  listProviders(argument: _fleet_v1_ListProvidersRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_ListProvidersResponse__Output>): grpc.ClientUnaryCall;
  listProviders(argument: _fleet_v1_ListProvidersRequest, callback: grpc.requestCallback<_fleet_v1_ListProvidersResponse__Output>): grpc.ClientUnaryCall;
  
  ListRollouts(argument: _fleet_v1_ListRolloutsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_ListRolloutsResponse__Output>): grpc.ClientUnaryCall;
  ListRollouts(argument: _fleet_v1_ListRolloutsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_ListRolloutsResponse__Output>): grpc.ClientUnaryCall;
  ListRollouts(argument: _fleet_v1_ListRolloutsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_ListRolloutsResponse__Output>): grpc.ClientUnaryCall;
  ListRollouts(argument: _fleet_v1_ListRolloutsRequest, callback: grpc.requestCallback<_fleet_v1_ListRolloutsResponse__Output>): grpc.ClientUnaryCall;
  listRollouts(argument: _fleet_v1_ListRolloutsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_ListRolloutsResponse__Output>): grpc.ClientUnaryCall;
  listRollouts(argument: _fleet_v1_ListRolloutsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_ListRolloutsResponse__Output>): grpc.ClientUnaryCall;
  listRollouts(argument: _fleet_v1_ListRolloutsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_ListRolloutsResponse__Output>): grpc.ClientUnaryCall;
  listRollouts(argument: _fleet_v1_ListRolloutsRequest, callback: grpc.requestCallback<_fleet_v1_ListRolloutsResponse__Output>): grpc.ClientUnaryCall;
  
  ListTasks(argument: _fleet_v1_ListTasksRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_ListTasksResponse__Output>): grpc.ClientUnaryCall;
  ListTasks(argument: _fleet_v1_ListTasksRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_ListTasksResponse__Output>): grpc.ClientUnaryCall;
  ListTasks(argument: _fleet_v1_ListTasksRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_ListTasksResponse__Output>): grpc.ClientUnaryCall;
  ListTasks(argument: _fleet_v1_ListTasksRequest, callback: grpc.requestCallback<_fleet_v1_ListTasksResponse__Output>): grpc.ClientUnaryCall;
  listTasks(argument: _fleet_v1_ListTasksRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_ListTasksResponse__Output>): grpc.ClientUnaryCall;
  listTasks(argument: _fleet_v1_ListTasksRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_ListTasksResponse__Output>): grpc.ClientUnaryCall;
  listTasks(argument: _fleet_v1_ListTasksRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_ListTasksResponse__Output>): grpc.ClientUnaryCall;
  listTasks(argument: _fleet_v1_ListTasksRequest, callback: grpc.requestCallback<_fleet_v1_ListTasksResponse__Output>): grpc.ClientUnaryCall;
  
  ListTeams(argument: _fleet_v1_ListTeamsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_ListTeamsResponse__Output>): grpc.ClientUnaryCall;
  ListTeams(argument: _fleet_v1_ListTeamsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_ListTeamsResponse__Output>): grpc.ClientUnaryCall;
  ListTeams(argument: _fleet_v1_ListTeamsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_ListTeamsResponse__Output>): grpc.ClientUnaryCall;
  ListTeams(argument: _fleet_v1_ListTeamsRequest, callback: grpc.requestCallback<_fleet_v1_ListTeamsResponse__Output>): grpc.ClientUnaryCall;
  listTeams(argument: _fleet_v1_ListTeamsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_ListTeamsResponse__Output>): grpc.ClientUnaryCall;
  listTeams(argument: _fleet_v1_ListTeamsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_ListTeamsResponse__Output>): grpc.ClientUnaryCall;
  listTeams(argument: _fleet_v1_ListTeamsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_ListTeamsResponse__Output>): grpc.ClientUnaryCall;
  listTeams(argument: _fleet_v1_ListTeamsRequest, callback: grpc.requestCallback<_fleet_v1_ListTeamsResponse__Output>): grpc.ClientUnaryCall;
  
  RestartNode(argument: _fleet_v1_RestartNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Node__Output>): grpc.ClientUnaryCall;
  RestartNode(argument: _fleet_v1_RestartNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_Node__Output>): grpc.ClientUnaryCall;
  RestartNode(argument: _fleet_v1_RestartNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Node__Output>): grpc.ClientUnaryCall;
  RestartNode(argument: _fleet_v1_RestartNodeRequest, callback: grpc.requestCallback<_fleet_v1_Node__Output>): grpc.ClientUnaryCall;
  restartNode(argument: _fleet_v1_RestartNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Node__Output>): grpc.ClientUnaryCall;
  restartNode(argument: _fleet_v1_RestartNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_Node__Output>): grpc.ClientUnaryCall;
  restartNode(argument: _fleet_v1_RestartNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Node__Output>): grpc.ClientUnaryCall;
  restartNode(argument: _fleet_v1_RestartNodeRequest, callback: grpc.requestCallback<_fleet_v1_Node__Output>): grpc.ClientUnaryCall;
  
  RestoreBackup(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_fleet_v1_RestoreBackupRequest, _fleet_v1_RestoreProgress__Output>;
  RestoreBackup(options?: grpc.CallOptions): grpc.ClientDuplexStream<_fleet_v1_RestoreBackupRequest, _fleet_v1_RestoreProgress__Output>;
  restoreBackup(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_fleet_v1_RestoreBackupRequest, _fleet_v1_RestoreProgress__Output>;
  restoreBackup(options?: grpc.CallOptions): grpc.ClientDuplexStream<_fleet_v1_RestoreBackupRequest, _fleet_v1_RestoreProgress__Output>;
  
  RevokeAccessToken(argument: _fleet_v1_AccessTokenRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_AccessToken__Output>): grpc.ClientUnaryCall;
  RevokeAccessToken(argument: _fleet_v1_AccessTokenRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_AccessToken__Output>): grpc.ClientUnaryCall;
  RevokeAccessToken(argument: _fleet_v1_AccessTokenRef, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_AccessToken__Output>): grpc.ClientUnaryCall;
  RevokeAccessToken(argument: _fleet_v1_AccessTokenRef, callback: grpc.requestCallback<_fleet_v1_AccessToken__Output>): grpc.ClientUnaryCall;
  revokeAccessToken(argument: _fleet_v1_AccessTokenRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_AccessToken__Output>): grpc.ClientUnaryCall;
  revokeAccessToken(argument: _fleet_v1_AccessTokenRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_AccessToken__Output>): grpc.ClientUnaryCall;
  revokeAccessToken(argument: _fleet_v1_AccessTokenRef, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_AccessToken__Output>): grpc.ClientUnaryCall;
  revokeAccessToken(argument: _fleet_v1_AccessTokenRef, callback: grpc.requestCallback<_fleet_v1_AccessToken__Output>): grpc.ClientUnaryCall;
  
  RevokeJoinToken(argument: _fleet_v1_JoinTokenRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_JoinToken__Output>): grpc.ClientUnaryCall;
  RevokeJoinToken(argument: _fleet_v1_JoinTokenRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_JoinToken__Output>): grpc.ClientUnaryCall;
  RevokeJoinToken(argument: _fleet_v1_JoinTokenRef, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_JoinToken__Output>): grpc.ClientUnaryCall;
  RevokeJoinToken(argument: _fleet_v1_JoinTokenRef, callback: grpc.requestCallback<_fleet_v1_JoinToken__Output>): grpc.ClientUnaryCall;
  revokeJoinToken(argument: _fleet_v1_JoinTokenRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_JoinToken__Output>): grpc.ClientUnaryCall;
  revokeJoinToken(argument: _fleet_v1_JoinTokenRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_JoinToken__Output>): grpc.ClientUnaryCall;
  revokeJoinToken(argument: _fleet_v1_JoinTokenRef, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_JoinToken__Output>): grpc.ClientUnaryCall;
  revokeJoinToken(argument: _fleet_v1_JoinTokenRef, callback: grpc.requestCallback<_fleet_v1_JoinToken__Output>): grpc.ClientUnaryCall;
  
  RevokeNode(argument: _fleet_v1_NodeRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Node__Output>): grpc.ClientUnaryCall;
  RevokeNode(argument: _fleet_v1_NodeRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_Node__Output>): grpc.ClientUnaryCall;
  RevokeNode(argument: _fleet_v1_NodeRef, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Node__Output>): grpc.ClientUnaryCall;
  RevokeNode(argument: _fleet_v1_NodeRef, callback: grpc.requestCallback<_fleet_v1_Node__Output>): grpc.ClientUnaryCall;
  revokeNode(argument: _fleet_v1_NodeRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Node__Output>): grpc.ClientUnaryCall;
  revokeNode(argument: _fleet_v1_NodeRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_Node__Output>): grpc.ClientUnaryCall;
  revokeNode(argument: _fleet_v1_NodeRef, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Node__Output>): grpc.ClientUnaryCall;
  revokeNode(argument: _fleet_v1_NodeRef, callback: grpc.requestCallback<_fleet_v1_Node__Output>): grpc.ClientUnaryCall;
  
  RotateAccessToken(argument: _fleet_v1_AccessTokenRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_CreateAccessTokenResponse__Output>): grpc.ClientUnaryCall;
  RotateAccessToken(argument: _fleet_v1_AccessTokenRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_CreateAccessTokenResponse__Output>): grpc.ClientUnaryCall;
  RotateAccessToken(argument: _fleet_v1_AccessTokenRef, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_CreateAccessTokenResponse__Output>): grpc.ClientUnaryCall;
  RotateAccessToken(argument: _fleet_v1_AccessTokenRef, callback: grpc.requestCallback<_fleet_v1_CreateAccessTokenResponse__Output>): grpc.ClientUnaryCall;
  rotateAccessToken(argument: _fleet_v1_AccessTokenRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_CreateAccessTokenResponse__Output>): grpc.ClientUnaryCall;
  rotateAccessToken(argument: _fleet_v1_AccessTokenRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_CreateAccessTokenResponse__Output>): grpc.ClientUnaryCall;
  rotateAccessToken(argument: _fleet_v1_AccessTokenRef, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_CreateAccessTokenResponse__Output>): grpc.ClientUnaryCall;
  rotateAccessToken(argument: _fleet_v1_AccessTokenRef, callback: grpc.requestCallback<_fleet_v1_CreateAccessTokenResponse__Output>): grpc.ClientUnaryCall;
  
  SetAutoscalePool(argument: _fleet_v1_SetAutoscalePoolRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_AutoscalePool__Output>): grpc.ClientUnaryCall;
  SetAutoscalePool(argument: _fleet_v1_SetAutoscalePoolRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_AutoscalePool__Output>): grpc.ClientUnaryCall;
  SetAutoscalePool(argument: _fleet_v1_SetAutoscalePoolRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_AutoscalePool__Output>): grpc.ClientUnaryCall;
  SetAutoscalePool(argument: _fleet_v1_SetAutoscalePoolRequest, callback: grpc.requestCallback<_fleet_v1_AutoscalePool__Output>): grpc.ClientUnaryCall;
  setAutoscalePool(argument: _fleet_v1_SetAutoscalePoolRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_AutoscalePool__Output>): grpc.ClientUnaryCall;
  setAutoscalePool(argument: _fleet_v1_SetAutoscalePoolRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_AutoscalePool__Output>): grpc.ClientUnaryCall;
  setAutoscalePool(argument: _fleet_v1_SetAutoscalePoolRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_AutoscalePool__Output>): grpc.ClientUnaryCall;
  setAutoscalePool(argument: _fleet_v1_SetAutoscalePoolRequest, callback: grpc.requestCallback<_fleet_v1_AutoscalePool__Output>): grpc.ClientUnaryCall;
  
  SetForge(argument: _fleet_v1_SetForgeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Forge__Output>): grpc.ClientUnaryCall;
  SetForge(argument: _fleet_v1_SetForgeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_Forge__Output>): grpc.ClientUnaryCall;
  SetForge(argument: _fleet_v1_SetForgeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Forge__Output>): grpc.ClientUnaryCall;
  SetForge(argument: _fleet_v1_SetForgeRequest, callback: grpc.requestCallback<_fleet_v1_Forge__Output>): grpc.ClientUnaryCall;
  setForge(argument: _fleet_v1_SetForgeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Forge__Output>): grpc.ClientUnaryCall;
  setForge(argument: _fleet_v1_SetForgeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_Forge__Output>): grpc.ClientUnaryCall;
  setForge(argument: _fleet_v1_SetForgeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Forge__Output>): grpc.ClientUnaryCall;
  setForge(argument: _fleet_v1_SetForgeRequest, callback: grpc.requestCallback<_fleet_v1_Forge__Output>): grpc.ClientUnaryCall;
  
  SetProvider(argument: _fleet_v1_SetProviderRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Provider__Output>): grpc.ClientUnaryCall;
  SetProvider(argument: _fleet_v1_SetProviderRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_Provider__Output>): grpc.ClientUnaryCall;
  SetProvider(argument: _fleet_v1_SetProviderRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Provider__Output>): grpc.ClientUnaryCall;
  SetProvider(argument: _fleet_v1_SetProviderRequest, callback: grpc.requestCallback<_fleet_v1_Provider__Output>): grpc.ClientUnaryCall;
  setProvider(argument: _fleet_v1_SetProviderRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Provider__Output>): grpc.ClientUnaryCall;
  setProvider(argument: _fleet_v1_SetProviderRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_Provider__Output>): grpc.ClientUnaryCall;
  setProvider(argument: _fleet_v1_SetProviderRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Provider__Output>): grpc.ClientUnaryCall;
  setProvider(argument: _fleet_v1_SetProviderRequest, callback: grpc.requestCallback<_fleet_v1_Provider__Output>): grpc.ClientUnaryCall;
  
  SetTeam(argument: _fleet_v1_SetTeamRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Team__Output>): grpc.ClientUnaryCall;
  SetTeam(argument: _fleet_v1_SetTeamRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_Team__Output>): grpc.ClientUnaryCall;
  SetTeam(argument: _fleet_v1_SetTeamRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Team__Output>): grpc.ClientUnaryCall;
  SetTeam(argument: _fleet_v1_SetTeamRequest, callback: grpc.requestCallback<_fleet_v1_Team__Output>): grpc.ClientUnaryCall;
  setTeam(argument: _fleet_v1_SetTeamRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Team__Output>): grpc.ClientUnaryCall;
  setTeam(argument: _fleet_v1_SetTeamRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_Team__Output>): grpc.ClientUnaryCall;
  setTeam(argument: _fleet_v1_SetTeamRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Team__Output>): grpc.ClientUnaryCall;
  setTeam(argument: _fleet_v1_SetTeamRequest, callback: grpc.requestCallback<_fleet_v1_Team__Output>): grpc.ClientUnaryCall;
  
  StartRollout(argument: _fleet_v1_StartRolloutRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Rollout__Output>): grpc.ClientUnaryCall;
  StartRollout(argument: _fleet_v1_StartRolloutRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_Rollout__Output>): grpc.ClientUnaryCall;
  StartRollout(argument: _fleet_v1_StartRolloutRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Rollout__Output>): grpc.ClientUnaryCall;
  StartRollout(argument: _fleet_v1_StartRolloutRequest, callback: grpc.requestCallback<_fleet_v1_Rollout__Output>): grpc.ClientUnaryCall;
  startRollout(argument: _fleet_v1_StartRolloutRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Rollout__Output>): grpc.ClientUnaryCall;
  startRollout(argument: _fleet_v1_StartRolloutRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_Rollout__Output>): grpc.ClientUnaryCall;
  startRollout(argument: _fleet_v1_StartRolloutRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Rollout__Output>): grpc.ClientUnaryCall;
  startRollout(argument: _fleet_v1_StartRolloutRequest, callback: grpc.requestCallback<_fleet_v1_Rollout__Output>): grpc.ClientUnaryCall;
  
  SubmitTask(argument: _fleet_v1_SubmitTaskRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Task__Output>): grpc.ClientUnaryCall;
  SubmitTask(argument: _fleet_v1_SubmitTaskRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_Task__Output>): grpc.ClientUnaryCall;
  SubmitTask(argument: _fleet_v1_SubmitTaskRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Task__Output>): grpc.ClientUnaryCall;
  SubmitTask(argument: _fleet_v1_SubmitTaskRequest, callback: grpc.requestCallback<_fleet_v1_Task__Output>): grpc.ClientUnaryCall;
  submitTask(argument: _fleet_v1_SubmitTaskRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Task__Output>): grpc.ClientUnaryCall;
  submitTask(argument: _fleet_v1_SubmitTaskRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_Task__Output>): grpc.ClientUnaryCall;
  submitTask(argument: _fleet_v1_SubmitTaskRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Task__Output>): grpc.ClientUnaryCall;
  submitTask(argument: _fleet_v1_SubmitTaskRequest, callback: grpc.requestCallback<_fleet_v1_Task__Output>): grpc.ClientUnaryCall;
  
  UncordonNode(argument: _fleet_v1_CordonNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Node__Output>): grpc.ClientUnaryCall;
  UncordonNode(argument: _fleet_v1_CordonNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_Node__Output>): grpc.ClientUnaryCall;
  UncordonNode(argument: _fleet_v1_CordonNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Node__Output>): grpc.ClientUnaryCall;
  UncordonNode(argument: _fleet_v1_CordonNodeRequest, callback: grpc.requestCallback<_fleet_v1_Node__Output>): grpc.ClientUnaryCall;
  uncordonNode(argument: _fleet_v1_CordonNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Node__Output>): grpc.ClientUnaryCall;
  uncordonNode(argument: _fleet_v1_CordonNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_Node__Output>): grpc.ClientUnaryCall;
  uncordonNode(argument: _fleet_v1_CordonNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Node__Output>): grpc.ClientUnaryCall;
  uncordonNode(argument: _fleet_v1_CordonNodeRequest, callback: grpc.requestCallback<_fleet_v1_Node__Output>): grpc.ClientUnaryCall;
  
  UpdateNode(argument: _fleet_v1_UpdateNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Node__Output>): grpc.ClientUnaryCall;
  UpdateNode(argument: _fleet_v1_UpdateNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_Node__Output>): grpc.ClientUnaryCall;
  UpdateNode(argument: _fleet_v1_UpdateNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Node__Output>): grpc.ClientUnaryCall;
  UpdateNode(argument: _fleet_v1_UpdateNodeRequest, callback: grpc.requestCallback<_fleet_v1_Node__Output>): grpc.ClientUnaryCall;
  updateNode(argument: _fleet_v1_UpdateNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Node__Output>): grpc.ClientUnaryCall;
  updateNode(argument: _fleet_v1_UpdateNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_Node__Output>): grpc.ClientUnaryCall;
  updateNode(argument: _fleet_v1_UpdateNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Node__Output>): grpc.ClientUnaryCall;
  updateNode(argument: _fleet_v1_UpdateNodeRequest, callback: grpc.requestCallback<_fleet_v1_Node__Output>): grpc.ClientUnaryCall;
  
  WatchNode(argument: _fleet_v1_NodeRef, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_fleet_v1_Node__Output>;
  WatchNode(argument: _fleet_v1_NodeRef, options?: grpc.CallOptions): grpc.ClientReadableStream<_fleet_v1_Node__Output>;
  watchNode(argument: _fleet_v1_NodeRef, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_fleet_v1_Node__Output>;
  watchNode(argument: _fleet_v1_NodeRef, options?: grpc.CallOptions): grpc.ClientReadableStream<_fleet_v1_Node__Output>;
  
  WatchTask(argument: _fleet_v1_GetTaskRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_fleet_v1_Task__Output>;
  WatchTask(argument: _fleet_v1_GetTaskRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_fleet_v1_Task__Output>;
  watchTask(argument: _fleet_v1_GetTaskRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_fleet_v1_Task__Output>;
  watchTask(argument: _fleet_v1_GetTaskRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_fleet_v1_Task__Output>;
  
  WhoAmI(argument: _fleet_v1_WhoAmIRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_AccessToken__Output>): grpc.ClientUnaryCall;
  WhoAmI(argument: _fleet_v1_WhoAmIRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_AccessToken__Output>): grpc.ClientUnaryCall;
  WhoAmI(argument: _fleet_v1_WhoAmIRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_AccessToken__Output>): grpc.ClientUnaryCall;
  WhoAmI(argument: _fleet_v1_WhoAmIRequest, callback: grpc.requestCallback<_fleet_v1_AccessToken__Output>): grpc.ClientUnaryCall;
  whoAmI(argument: _fleet_v1_WhoAmIRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_AccessToken__Output>): grpc.ClientUnaryCall;
  whoAmI(argument: _fleet_v1_WhoAmIRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_AccessToken__Output>): grpc.ClientUnaryCall;
  whoAmI(argument: _fleet_v1_WhoAmIRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_AccessToken__Output>): grpc.ClientUnaryCall;
  whoAmI(argument: _fleet_v1_WhoAmIRequest, callback: grpc.requestCallback<_fleet_v1_AccessToken__Output>): grpc.ClientUnaryCall;
  
}

export interface FleetServiceHandlers extends grpc.UntypedServiceImplementation {
  CancelTask: grpc.handleUnaryCall<_fleet_v1_CancelTaskRequest__Output, _fleet_v1_Task>;
  
  ChangeRollout: grpc.handleUnaryCall<_fleet_v1_ChangeRolloutRequest__Output, _fleet_v1_Rollout>;
  
  CordonNode: grpc.handleUnaryCall<_fleet_v1_CordonNodeRequest__Output, _fleet_v1_Node>;
  
  CreateAccessToken: grpc.handleUnaryCall<_fleet_v1_CreateAccessTokenRequest__Output, _fleet_v1_CreateAccessTokenResponse>;
  
  CreateBackup: grpc.handleServerStreamingCall<_fleet_v1_CreateBackupRequest__Output, _fleet_v1_BackupMessage>;
  
  CreateJoinToken: grpc.handleUnaryCall<_fleet_v1_CreateJoinTokenRequest__Output, _fleet_v1_CreateJoinTokenResponse>;
  
  DeleteAutoscalePool: grpc.handleUnaryCall<_fleet_v1_AutoscalePoolRef__Output, _fleet_v1_AutoscalePool>;
  
  DeleteForge: grpc.handleUnaryCall<_fleet_v1_ForgeRef__Output, _fleet_v1_Forge>;
  
  DeleteProvider: grpc.handleUnaryCall<_fleet_v1_ProviderRef__Output, _fleet_v1_Provider>;
  
  DeliverTask: grpc.handleUnaryCall<_fleet_v1_DeliverTaskRequest__Output, _fleet_v1_Task>;
  
  DrainNode: grpc.handleUnaryCall<_fleet_v1_DrainNodeRequest__Output, _fleet_v1_Node>;
  
  GetClusterStatus: grpc.handleUnaryCall<_fleet_v1_GetClusterStatusRequest__Output, _fleet_v1_ClusterStatus>;
  
  GetRollout: grpc.handleUnaryCall<_fleet_v1_GetRolloutRequest__Output, _fleet_v1_GetRolloutResponse>;
  
  GetTask: grpc.handleUnaryCall<_fleet_v1_GetTaskRequest__Output, _fleet_v1_Task>;
  
  GetTaskLogs: grpc.handleServerStreamingCall<_fleet_v1_GetTaskLogsRequest__Output, _fleet_v1_LogChunk>;
  
  GetTaskResult: grpc.handleUnaryCall<_fleet_v1_GetTaskResultRequest__Output, _fleet_v1_GetTaskResultResponse>;
  
  GetTeam: grpc.handleUnaryCall<_fleet_v1_TeamRef__Output, _fleet_v1_Team>;
  
  ListAccessTokens: grpc.handleUnaryCall<_fleet_v1_ListAccessTokensRequest__Output, _fleet_v1_ListAccessTokensResponse>;
  
  ListAudit: grpc.handleServerStreamingCall<_fleet_v1_ListAuditRequest__Output, _fleet_v1_AuditEntry>;
  
  ListAutoscalePools: grpc.handleUnaryCall<_fleet_v1_ListAutoscalePoolsRequest__Output, _fleet_v1_ListAutoscalePoolsResponse>;
  
  ListForges: grpc.handleUnaryCall<_fleet_v1_ListForgesRequest__Output, _fleet_v1_ListForgesResponse>;
  
  ListJoinTokens: grpc.handleUnaryCall<_fleet_v1_ListJoinTokensRequest__Output, _fleet_v1_ListJoinTokensResponse>;
  
  ListNodes: grpc.handleUnaryCall<_fleet_v1_ListNodesRequest__Output, _fleet_v1_ListNodesResponse>;
  
  ListProviders: grpc.handleUnaryCall<_fleet_v1_ListProvidersRequest__Output, _fleet_v1_ListProvidersResponse>;
  
  ListRollouts: grpc.handleUnaryCall<_fleet_v1_ListRolloutsRequest__Output, _fleet_v1_ListRolloutsResponse>;
  
  ListTasks: grpc.handleUnaryCall<_fleet_v1_ListTasksRequest__Output, _fleet_v1_ListTasksResponse>;
  
  ListTeams: grpc.handleUnaryCall<_fleet_v1_ListTeamsRequest__Output, _fleet_v1_ListTeamsResponse>;
  
  RestartNode: grpc.handleUnaryCall<_fleet_v1_RestartNodeRequest__Output, _fleet_v1_Node>;
  
  RestoreBackup: grpc.handleBidiStreamingCall<_fleet_v1_RestoreBackupRequest__Output, _fleet_v1_RestoreProgress>;
  
  RevokeAccessToken: grpc.handleUnaryCall<_fleet_v1_AccessTokenRef__Output, _fleet_v1_AccessToken>;
  
  RevokeJoinToken: grpc.handleUnaryCall<_fleet_v1_JoinTokenRef__Output, _fleet_v1_JoinToken>;
  
  RevokeNode: grpc.handleUnaryCall<_fleet_v1_NodeRef__Output, _fleet_v1_Node>;
  
  RotateAccessToken: grpc.handleUnaryCall<_fleet_v1_AccessTokenRef__Output, _fleet_v1_CreateAccessTokenResponse>;
  
  SetAutoscalePool: grpc.handleUnaryCall<_fleet_v1_SetAutoscalePoolRequest__Output, _fleet_v1_AutoscalePool>;
  
  SetForge: grpc.handleUnaryCall<_fleet_v1_SetForgeRequest__Output, _fleet_v1_Forge>;
  
  SetProvider: grpc.handleUnaryCall<_fleet_v1_SetProviderRequest__Output, _fleet_v1_Provider>;
  
  SetTeam: grpc.handleUnaryCall<_fleet_v1_SetTeamRequest__Output, _fleet_v1_Team>;
  
  StartRollout: grpc.handleUnaryCall<_fleet_v1_StartRolloutRequest__Output, _fleet_v1_Rollout>;
  
  SubmitTask: grpc.handleUnaryCall<_fleet_v1_SubmitTaskRequest__Output, _fleet_v1_Task>;
  
  UncordonNode: grpc.handleUnaryCall<_fleet_v1_CordonNodeRequest__Output, _fleet_v1_Node>;
  
  UpdateNode: grpc.handleUnaryCall<_fleet_v1_UpdateNodeRequest__Output, _fleet_v1_Node>;
  
  WatchNode: grpc.handleServerStreamingCall<_fleet_v1_NodeRef__Output, _fleet_v1_Node>;
  
  WatchTask: grpc.handleServerStreamingCall<_fleet_v1_GetTaskRequest__Output, _fleet_v1_Task>;
  
  WhoAmI: grpc.handleUnaryCall<_fleet_v1_WhoAmIRequest__Output, _fleet_v1_AccessToken>;
  
}

export interface FleetServiceDefinition extends grpc.ServiceDefinition {
  CancelTask: MethodDefinition<_fleet_v1_CancelTaskRequest, _fleet_v1_Task, _fleet_v1_CancelTaskRequest__Output, _fleet_v1_Task__Output>
  ChangeRollout: MethodDefinition<_fleet_v1_ChangeRolloutRequest, _fleet_v1_Rollout, _fleet_v1_ChangeRolloutRequest__Output, _fleet_v1_Rollout__Output>
  CordonNode: MethodDefinition<_fleet_v1_CordonNodeRequest, _fleet_v1_Node, _fleet_v1_CordonNodeRequest__Output, _fleet_v1_Node__Output>
  CreateAccessToken: MethodDefinition<_fleet_v1_CreateAccessTokenRequest, _fleet_v1_CreateAccessTokenResponse, _fleet_v1_CreateAccessTokenRequest__Output, _fleet_v1_CreateAccessTokenResponse__Output>
  CreateBackup: MethodDefinition<_fleet_v1_CreateBackupRequest, _fleet_v1_BackupMessage, _fleet_v1_CreateBackupRequest__Output, _fleet_v1_BackupMessage__Output>
  CreateJoinToken: MethodDefinition<_fleet_v1_CreateJoinTokenRequest, _fleet_v1_CreateJoinTokenResponse, _fleet_v1_CreateJoinTokenRequest__Output, _fleet_v1_CreateJoinTokenResponse__Output>
  DeleteAutoscalePool: MethodDefinition<_fleet_v1_AutoscalePoolRef, _fleet_v1_AutoscalePool, _fleet_v1_AutoscalePoolRef__Output, _fleet_v1_AutoscalePool__Output>
  DeleteForge: MethodDefinition<_fleet_v1_ForgeRef, _fleet_v1_Forge, _fleet_v1_ForgeRef__Output, _fleet_v1_Forge__Output>
  DeleteProvider: MethodDefinition<_fleet_v1_ProviderRef, _fleet_v1_Provider, _fleet_v1_ProviderRef__Output, _fleet_v1_Provider__Output>
  DeliverTask: MethodDefinition<_fleet_v1_DeliverTaskRequest, _fleet_v1_Task, _fleet_v1_DeliverTaskRequest__Output, _fleet_v1_Task__Output>
  DrainNode: MethodDefinition<_fleet_v1_DrainNodeRequest, _fleet_v1_Node, _fleet_v1_DrainNodeRequest__Output, _fleet_v1_Node__Output>
  GetClusterStatus: MethodDefinition<_fleet_v1_GetClusterStatusRequest, _fleet_v1_ClusterStatus, _fleet_v1_GetClusterStatusRequest__Output, _fleet_v1_ClusterStatus__Output>
  GetRollout: MethodDefinition<_fleet_v1_GetRolloutRequest, _fleet_v1_GetRolloutResponse, _fleet_v1_GetRolloutRequest__Output, _fleet_v1_GetRolloutResponse__Output>
  GetTask: MethodDefinition<_fleet_v1_GetTaskRequest, _fleet_v1_Task, _fleet_v1_GetTaskRequest__Output, _fleet_v1_Task__Output>
  GetTaskLogs: MethodDefinition<_fleet_v1_GetTaskLogsRequest, _fleet_v1_LogChunk, _fleet_v1_GetTaskLogsRequest__Output, _fleet_v1_LogChunk__Output>
  GetTaskResult: MethodDefinition<_fleet_v1_GetTaskResultRequest, _fleet_v1_GetTaskResultResponse, _fleet_v1_GetTaskResultRequest__Output, _fleet_v1_GetTaskResultResponse__Output>
  GetTeam: MethodDefinition<_fleet_v1_TeamRef, _fleet_v1_Team, _fleet_v1_TeamRef__Output, _fleet_v1_Team__Output>
  ListAccessTokens: MethodDefinition<_fleet_v1_ListAccessTokensRequest, _fleet_v1_ListAccessTokensResponse, _fleet_v1_ListAccessTokensRequest__Output, _fleet_v1_ListAccessTokensResponse__Output>
  ListAudit: MethodDefinition<_fleet_v1_ListAuditRequest, _fleet_v1_AuditEntry, _fleet_v1_ListAuditRequest__Output, _fleet_v1_AuditEntry__Output>
  ListAutoscalePools: MethodDefinition<_fleet_v1_ListAutoscalePoolsRequest, _fleet_v1_ListAutoscalePoolsResponse, _fleet_v1_ListAutoscalePoolsRequest__Output, _fleet_v1_ListAutoscalePoolsResponse__Output>
  ListForges: MethodDefinition<_fleet_v1_ListForgesRequest, _fleet_v1_ListForgesResponse, _fleet_v1_ListForgesRequest__Output, _fleet_v1_ListForgesResponse__Output>
  ListJoinTokens: MethodDefinition<_fleet_v1_ListJoinTokensRequest, _fleet_v1_ListJoinTokensResponse, _fleet_v1_ListJoinTokensRequest__Output, _fleet_v1_ListJoinTokensResponse__Output>
  ListNodes: MethodDefinition<_fleet_v1_ListNodesRequest, _fleet_v1_ListNodesResponse, _fleet_v1_ListNodesRequest__Output, _fleet_v1_ListNodesResponse__Output>
  ListProviders: MethodDefinition<_fleet_v1_ListProvidersRequest, _fleet_v1_ListProvidersResponse, _fleet_v1_ListProvidersRequest__Output, _fleet_v1_ListProvidersResponse__Output>
  ListRollouts: MethodDefinition<_fleet_v1_ListRolloutsRequest, _fleet_v1_ListRolloutsResponse, _fleet_v1_ListRolloutsRequest__Output, _fleet_v1_ListRolloutsResponse__Output>
  ListTasks: MethodDefinition<_fleet_v1_ListTasksRequest, _fleet_v1_ListTasksResponse, _fleet_v1_ListTasksRequest__Output, _fleet_v1_ListTasksResponse__Output>
  ListTeams: MethodDefinition<_fleet_v1_ListTeamsRequest, _fleet_v1_ListTeamsResponse, _fleet_v1_ListTeamsRequest__Output, _fleet_v1_ListTeamsResponse__Output>
  RestartNode: MethodDefinition<_fleet_v1_RestartNodeRequest, _fleet_v1_Node, _fleet_v1_RestartNodeRequest__Output, _fleet_v1_Node__Output>
  RestoreBackup: MethodDefinition<_fleet_v1_RestoreBackupRequest, _fleet_v1_RestoreProgress, _fleet_v1_RestoreBackupRequest__Output, _fleet_v1_RestoreProgress__Output>
  RevokeAccessToken: MethodDefinition<_fleet_v1_AccessTokenRef, _fleet_v1_AccessToken, _fleet_v1_AccessTokenRef__Output, _fleet_v1_AccessToken__Output>
  RevokeJoinToken: MethodDefinition<_fleet_v1_JoinTokenRef, _fleet_v1_JoinToken, _fleet_v1_JoinTokenRef__Output, _fleet_v1_JoinToken__Output>
  RevokeNode: MethodDefinition<_fleet_v1_NodeRef, _fleet_v1_Node, _fleet_v1_NodeRef__Output, _fleet_v1_Node__Output>
  RotateAccessToken: MethodDefinition<_fleet_v1_AccessTokenRef, _fleet_v1_CreateAccessTokenResponse, _fleet_v1_AccessTokenRef__Output, _fleet_v1_CreateAccessTokenResponse__Output>
  SetAutoscalePool: MethodDefinition<_fleet_v1_SetAutoscalePoolRequest, _fleet_v1_AutoscalePool, _fleet_v1_SetAutoscalePoolRequest__Output, _fleet_v1_AutoscalePool__Output>
  SetForge: MethodDefinition<_fleet_v1_SetForgeRequest, _fleet_v1_Forge, _fleet_v1_SetForgeRequest__Output, _fleet_v1_Forge__Output>
  SetProvider: MethodDefinition<_fleet_v1_SetProviderRequest, _fleet_v1_Provider, _fleet_v1_SetProviderRequest__Output, _fleet_v1_Provider__Output>
  SetTeam: MethodDefinition<_fleet_v1_SetTeamRequest, _fleet_v1_Team, _fleet_v1_SetTeamRequest__Output, _fleet_v1_Team__Output>
  StartRollout: MethodDefinition<_fleet_v1_StartRolloutRequest, _fleet_v1_Rollout, _fleet_v1_StartRolloutRequest__Output, _fleet_v1_Rollout__Output>
  SubmitTask: MethodDefinition<_fleet_v1_SubmitTaskRequest, _fleet_v1_Task, _fleet_v1_SubmitTaskRequest__Output, _fleet_v1_Task__Output>
  UncordonNode: MethodDefinition<_fleet_v1_CordonNodeRequest, _fleet_v1_Node, _fleet_v1_CordonNodeRequest__Output, _fleet_v1_Node__Output>
  UpdateNode: MethodDefinition<_fleet_v1_UpdateNodeRequest, _fleet_v1_Node, _fleet_v1_UpdateNodeRequest__Output, _fleet_v1_Node__Output>
  WatchNode: MethodDefinition<_fleet_v1_NodeRef, _fleet_v1_Node, _fleet_v1_NodeRef__Output, _fleet_v1_Node__Output>
  WatchTask: MethodDefinition<_fleet_v1_GetTaskRequest, _fleet_v1_Task, _fleet_v1_GetTaskRequest__Output, _fleet_v1_Task__Output>
  WhoAmI: MethodDefinition<_fleet_v1_WhoAmIRequest, _fleet_v1_AccessToken, _fleet_v1_WhoAmIRequest__Output, _fleet_v1_AccessToken__Output>
}
