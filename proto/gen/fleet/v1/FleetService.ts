// Original file: proto/fleet/v1/fleet.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { CancelTaskRequest as _fleet_v1_CancelTaskRequest, CancelTaskRequest__Output as _fleet_v1_CancelTaskRequest__Output } from '../../fleet/v1/CancelTaskRequest';
import type { CreateJoinTokenRequest as _fleet_v1_CreateJoinTokenRequest, CreateJoinTokenRequest__Output as _fleet_v1_CreateJoinTokenRequest__Output } from '../../fleet/v1/CreateJoinTokenRequest';
import type { CreateJoinTokenResponse as _fleet_v1_CreateJoinTokenResponse, CreateJoinTokenResponse__Output as _fleet_v1_CreateJoinTokenResponse__Output } from '../../fleet/v1/CreateJoinTokenResponse';
import type { GetTaskLogsRequest as _fleet_v1_GetTaskLogsRequest, GetTaskLogsRequest__Output as _fleet_v1_GetTaskLogsRequest__Output } from '../../fleet/v1/GetTaskLogsRequest';
import type { GetTaskRequest as _fleet_v1_GetTaskRequest, GetTaskRequest__Output as _fleet_v1_GetTaskRequest__Output } from '../../fleet/v1/GetTaskRequest';
import type { ListNodesRequest as _fleet_v1_ListNodesRequest, ListNodesRequest__Output as _fleet_v1_ListNodesRequest__Output } from '../../fleet/v1/ListNodesRequest';
import type { ListNodesResponse as _fleet_v1_ListNodesResponse, ListNodesResponse__Output as _fleet_v1_ListNodesResponse__Output } from '../../fleet/v1/ListNodesResponse';
import type { ListTasksRequest as _fleet_v1_ListTasksRequest, ListTasksRequest__Output as _fleet_v1_ListTasksRequest__Output } from '../../fleet/v1/ListTasksRequest';
import type { ListTasksResponse as _fleet_v1_ListTasksResponse, ListTasksResponse__Output as _fleet_v1_ListTasksResponse__Output } from '../../fleet/v1/ListTasksResponse';
import type { LogChunk as _fleet_v1_LogChunk, LogChunk__Output as _fleet_v1_LogChunk__Output } from '../../fleet/v1/LogChunk';
import type { SubmitTaskRequest as _fleet_v1_SubmitTaskRequest, SubmitTaskRequest__Output as _fleet_v1_SubmitTaskRequest__Output } from '../../fleet/v1/SubmitTaskRequest';
import type { Task as _fleet_v1_Task, Task__Output as _fleet_v1_Task__Output } from '../../fleet/v1/Task';

export interface FleetServiceClient extends grpc.Client {
  CancelTask(argument: _fleet_v1_CancelTaskRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Task__Output>): grpc.ClientUnaryCall;
  CancelTask(argument: _fleet_v1_CancelTaskRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_Task__Output>): grpc.ClientUnaryCall;
  CancelTask(argument: _fleet_v1_CancelTaskRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Task__Output>): grpc.ClientUnaryCall;
  CancelTask(argument: _fleet_v1_CancelTaskRequest, callback: grpc.requestCallback<_fleet_v1_Task__Output>): grpc.ClientUnaryCall;
  cancelTask(argument: _fleet_v1_CancelTaskRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Task__Output>): grpc.ClientUnaryCall;
  cancelTask(argument: _fleet_v1_CancelTaskRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_Task__Output>): grpc.ClientUnaryCall;
  cancelTask(argument: _fleet_v1_CancelTaskRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Task__Output>): grpc.ClientUnaryCall;
  cancelTask(argument: _fleet_v1_CancelTaskRequest, callback: grpc.requestCallback<_fleet_v1_Task__Output>): grpc.ClientUnaryCall;
  
  CreateJoinToken(argument: _fleet_v1_CreateJoinTokenRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_CreateJoinTokenResponse__Output>): grpc.ClientUnaryCall;
  CreateJoinToken(argument: _fleet_v1_CreateJoinTokenRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_CreateJoinTokenResponse__Output>): grpc.ClientUnaryCall;
  CreateJoinToken(argument: _fleet_v1_CreateJoinTokenRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_CreateJoinTokenResponse__Output>): grpc.ClientUnaryCall;
  CreateJoinToken(argument: _fleet_v1_CreateJoinTokenRequest, callback: grpc.requestCallback<_fleet_v1_CreateJoinTokenResponse__Output>): grpc.ClientUnaryCall;
  createJoinToken(argument: _fleet_v1_CreateJoinTokenRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_CreateJoinTokenResponse__Output>): grpc.ClientUnaryCall;
  createJoinToken(argument: _fleet_v1_CreateJoinTokenRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_CreateJoinTokenResponse__Output>): grpc.ClientUnaryCall;
  createJoinToken(argument: _fleet_v1_CreateJoinTokenRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_CreateJoinTokenResponse__Output>): grpc.ClientUnaryCall;
  createJoinToken(argument: _fleet_v1_CreateJoinTokenRequest, callback: grpc.requestCallback<_fleet_v1_CreateJoinTokenResponse__Output>): grpc.ClientUnaryCall;
  
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
  
  ListNodes(argument: _fleet_v1_ListNodesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_ListNodesResponse__Output>): grpc.ClientUnaryCall;
  ListNodes(argument: _fleet_v1_ListNodesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_ListNodesResponse__Output>): grpc.ClientUnaryCall;
  ListNodes(argument: _fleet_v1_ListNodesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_ListNodesResponse__Output>): grpc.ClientUnaryCall;
  ListNodes(argument: _fleet_v1_ListNodesRequest, callback: grpc.requestCallback<_fleet_v1_ListNodesResponse__Output>): grpc.ClientUnaryCall;
  listNodes(argument: _fleet_v1_ListNodesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_ListNodesResponse__Output>): grpc.ClientUnaryCall;
  listNodes(argument: _fleet_v1_ListNodesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_ListNodesResponse__Output>): grpc.ClientUnaryCall;
  listNodes(argument: _fleet_v1_ListNodesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_ListNodesResponse__Output>): grpc.ClientUnaryCall;
  listNodes(argument: _fleet_v1_ListNodesRequest, callback: grpc.requestCallback<_fleet_v1_ListNodesResponse__Output>): grpc.ClientUnaryCall;
  
  ListTasks(argument: _fleet_v1_ListTasksRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_ListTasksResponse__Output>): grpc.ClientUnaryCall;
  ListTasks(argument: _fleet_v1_ListTasksRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_ListTasksResponse__Output>): grpc.ClientUnaryCall;
  ListTasks(argument: _fleet_v1_ListTasksRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_ListTasksResponse__Output>): grpc.ClientUnaryCall;
  ListTasks(argument: _fleet_v1_ListTasksRequest, callback: grpc.requestCallback<_fleet_v1_ListTasksResponse__Output>): grpc.ClientUnaryCall;
  listTasks(argument: _fleet_v1_ListTasksRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_ListTasksResponse__Output>): grpc.ClientUnaryCall;
  listTasks(argument: _fleet_v1_ListTasksRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_ListTasksResponse__Output>): grpc.ClientUnaryCall;
  listTasks(argument: _fleet_v1_ListTasksRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_ListTasksResponse__Output>): grpc.ClientUnaryCall;
  listTasks(argument: _fleet_v1_ListTasksRequest, callback: grpc.requestCallback<_fleet_v1_ListTasksResponse__Output>): grpc.ClientUnaryCall;
  
  SubmitTask(argument: _fleet_v1_SubmitTaskRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Task__Output>): grpc.ClientUnaryCall;
  SubmitTask(argument: _fleet_v1_SubmitTaskRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_Task__Output>): grpc.ClientUnaryCall;
  SubmitTask(argument: _fleet_v1_SubmitTaskRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Task__Output>): grpc.ClientUnaryCall;
  SubmitTask(argument: _fleet_v1_SubmitTaskRequest, callback: grpc.requestCallback<_fleet_v1_Task__Output>): grpc.ClientUnaryCall;
  submitTask(argument: _fleet_v1_SubmitTaskRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Task__Output>): grpc.ClientUnaryCall;
  submitTask(argument: _fleet_v1_SubmitTaskRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_Task__Output>): grpc.ClientUnaryCall;
  submitTask(argument: _fleet_v1_SubmitTaskRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_Task__Output>): grpc.ClientUnaryCall;
  submitTask(argument: _fleet_v1_SubmitTaskRequest, callback: grpc.requestCallback<_fleet_v1_Task__Output>): grpc.ClientUnaryCall;
  
  WatchTask(argument: _fleet_v1_GetTaskRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_fleet_v1_Task__Output>;
  WatchTask(argument: _fleet_v1_GetTaskRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_fleet_v1_Task__Output>;
  watchTask(argument: _fleet_v1_GetTaskRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_fleet_v1_Task__Output>;
  watchTask(argument: _fleet_v1_GetTaskRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_fleet_v1_Task__Output>;
  
}

export interface FleetServiceHandlers extends grpc.UntypedServiceImplementation {
  CancelTask: grpc.handleUnaryCall<_fleet_v1_CancelTaskRequest__Output, _fleet_v1_Task>;
  
  CreateJoinToken: grpc.handleUnaryCall<_fleet_v1_CreateJoinTokenRequest__Output, _fleet_v1_CreateJoinTokenResponse>;
  
  GetTask: grpc.handleUnaryCall<_fleet_v1_GetTaskRequest__Output, _fleet_v1_Task>;
  
  GetTaskLogs: grpc.handleServerStreamingCall<_fleet_v1_GetTaskLogsRequest__Output, _fleet_v1_LogChunk>;
  
  ListNodes: grpc.handleUnaryCall<_fleet_v1_ListNodesRequest__Output, _fleet_v1_ListNodesResponse>;
  
  ListTasks: grpc.handleUnaryCall<_fleet_v1_ListTasksRequest__Output, _fleet_v1_ListTasksResponse>;
  
  SubmitTask: grpc.handleUnaryCall<_fleet_v1_SubmitTaskRequest__Output, _fleet_v1_Task>;
  
  WatchTask: grpc.handleServerStreamingCall<_fleet_v1_GetTaskRequest__Output, _fleet_v1_Task>;
  
}

export interface FleetServiceDefinition extends grpc.ServiceDefinition {
  CancelTask: MethodDefinition<_fleet_v1_CancelTaskRequest, _fleet_v1_Task, _fleet_v1_CancelTaskRequest__Output, _fleet_v1_Task__Output>
  CreateJoinToken: MethodDefinition<_fleet_v1_CreateJoinTokenRequest, _fleet_v1_CreateJoinTokenResponse, _fleet_v1_CreateJoinTokenRequest__Output, _fleet_v1_CreateJoinTokenResponse__Output>
  GetTask: MethodDefinition<_fleet_v1_GetTaskRequest, _fleet_v1_Task, _fleet_v1_GetTaskRequest__Output, _fleet_v1_Task__Output>
  GetTaskLogs: MethodDefinition<_fleet_v1_GetTaskLogsRequest, _fleet_v1_LogChunk, _fleet_v1_GetTaskLogsRequest__Output, _fleet_v1_LogChunk__Output>
  ListNodes: MethodDefinition<_fleet_v1_ListNodesRequest, _fleet_v1_ListNodesResponse, _fleet_v1_ListNodesRequest__Output, _fleet_v1_ListNodesResponse__Output>
  ListTasks: MethodDefinition<_fleet_v1_ListTasksRequest, _fleet_v1_ListTasksResponse, _fleet_v1_ListTasksRequest__Output, _fleet_v1_ListTasksResponse__Output>
  SubmitTask: MethodDefinition<_fleet_v1_SubmitTaskRequest, _fleet_v1_Task, _fleet_v1_SubmitTaskRequest__Output, _fleet_v1_Task__Output>
  WatchTask: MethodDefinition<_fleet_v1_GetTaskRequest, _fleet_v1_Task, _fleet_v1_GetTaskRequest__Output, _fleet_v1_Task__Output>
}
