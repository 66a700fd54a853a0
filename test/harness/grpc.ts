/** A raw gRPC client for tests that must send what fleetctl would refuse to. */
import * as grpc from '@grpc/grpc-js';
import { CHANNEL_OPTIONS, loadProtos } from '../../common/proto.js';
import type { FleetServiceClient } from '../../proto/gen/fleet/v1/FleetService.js';
import type { NodeServiceClient } from '../../proto/gen/fleet/v1/NodeService.js';
import type { HealthClient } from '../../proto/gen/grpc/health/v1/Health.js';

export function clients(server: string) {
  const { fleet, health } = loadProtos();
  const creds = grpc.credentials.createInsecure();
  return {
    fleet: new fleet.fleet.v1.FleetService(server, creds, CHANNEL_OPTIONS) as FleetServiceClient,
    node: new fleet.fleet.v1.NodeService(server, creds, CHANNEL_OPTIONS) as NodeServiceClient,
    health: new health.grpc.health.v1.Health(server, creds) as HealthClient,
  };
}

export function bearer(token: string): grpc.Metadata {
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${token}`);
  return metadata;
}

/** Calls a unary method and resolves with its error or its answer. */
export function call<Res>(fn: (cb: (err: grpc.ServiceError | null, res?: Res) => void) => unknown): Promise<{ err: grpc.ServiceError | null; res?: Res }> {
  return new Promise((resolve) => fn((err, res) => resolve({ err, res })));
}
