// Original file: proto/fleet/v1/fleet.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { ControlMessage as _fleet_v1_ControlMessage, ControlMessage__Output as _fleet_v1_ControlMessage__Output } from '../../fleet/v1/ControlMessage';
import type { EnrollRequest as _fleet_v1_EnrollRequest, EnrollRequest__Output as _fleet_v1_EnrollRequest__Output } from '../../fleet/v1/EnrollRequest';
import type { EnrollResponse as _fleet_v1_EnrollResponse, EnrollResponse__Output as _fleet_v1_EnrollResponse__Output } from '../../fleet/v1/EnrollResponse';
import type { NodeMessage as _fleet_v1_NodeMessage, NodeMessage__Output as _fleet_v1_NodeMessage__Output } from '../../fleet/v1/NodeMessage';

export interface NodeServiceClient extends grpc.Client {
  Connect(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_fleet_v1_NodeMessage, _fleet_v1_ControlMessage__Output>;
  Connect(options?: grpc.CallOptions): grpc.ClientDuplexStream<_fleet_v1_NodeMessage, _fleet_v1_ControlMessage__Output>;
  connect(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_fleet_v1_NodeMessage, _fleet_v1_ControlMessage__Output>;
  connect(options?: grpc.CallOptions): grpc.ClientDuplexStream<_fleet_v1_NodeMessage, _fleet_v1_ControlMessage__Output>;
  
  Enroll(argument: _fleet_v1_EnrollRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_EnrollResponse__Output>): grpc.ClientUnaryCall;
  Enroll(argument: _fleet_v1_EnrollRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_EnrollResponse__Output>): grpc.ClientUnaryCall;
  Enroll(argument: _fleet_v1_EnrollRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_EnrollResponse__Output>): grpc.ClientUnaryCall;
  Enroll(argument: _fleet_v1_EnrollRequest, callback: grpc.requestCallback<_fleet_v1_EnrollResponse__Output>): grpc.ClientUnaryCall;
  enroll(argument: _fleet_v1_EnrollRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_EnrollResponse__Output>): grpc.ClientUnaryCall;
  enroll(argument: _fleet_v1_EnrollRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fleet_v1_EnrollResponse__Output>): grpc.ClientUnaryCall;
  enroll(argument: _fleet_v1_EnrollRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fleet_v1_EnrollResponse__Output>): grpc.ClientUnaryCall;
  enroll(argument: _fleet_v1_EnrollRequest, callback: grpc.requestCallback<_fleet_v1_EnrollResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface NodeServiceHandlers extends grpc.UntypedServiceImplementation {
  Connect: grpc.handleBidiStreamingCall<_fleet_v1_NodeMessage__Output, _fleet_v1_ControlMessage>;
  
  Enroll: grpc.handleUnaryCall<_fleet_v1_EnrollRequest__Output, _fleet_v1_EnrollResponse>;
  
}

export interface NodeServiceDefinition extends grpc.ServiceDefinition {
  Connect: MethodDefinition<_fleet_v1_NodeMessage, _fleet_v1_ControlMessage, _fleet_v1_NodeMessage__Output, _fleet_v1_ControlMessage__Output>
  Enroll: MethodDefinition<_fleet_v1_EnrollRequest, _fleet_v1_EnrollResponse, _fleet_v1_EnrollRequest__Output, _fleet_v1_EnrollResponse__Output>
}
