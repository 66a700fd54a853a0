/** A raw gRPC client for tests that must send what fleetctl would refuse to. */
import * as tls from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { createNodeKeyAndCsr, serverNameCheck } from '../../common/pki.js';
import { channelOptions, loadProtos } from '../../common/proto.js';
import type { FleetServiceClient } from '../../proto/gen/fleet/v1/FleetService.js';
import type { NodeServiceClient } from '../../proto/gen/fleet/v1/NodeService.js';
import type { HealthClient } from '../../proto/gen/grpc/health/v1/Health.js';
import { AGENT_PROTOCOL } from '../../common/protocol.js';

/** Clients over TLS that trust `caPem`; with `client`, presenting that certificate (a node's). */
export function clients(server: string, caPem: string, client?: { certPem: string; keyPem: string }) {
  const { fleet, health } = loadProtos();
  const creds = grpc.credentials.createSsl(Buffer.from(caPem), client ? Buffer.from(client.keyPem) : null, client ? Buffer.from(client.certPem) : null, {
    checkServerIdentity: serverNameCheck(tls.checkServerIdentity),
  });
  return {
    fleet: new fleet.fleet.v1.FleetService(server, creds, channelOptions(server)) as FleetServiceClient,
    node: new fleet.fleet.v1.NodeService(server, creds, channelOptions(server)) as NodeServiceClient,
    health: new health.grpc.health.v1.Health(server, creds, channelOptions(server)) as HealthClient,
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

/** Enrolls as an agent would: a key made here, a CSR, a join token; returns the certificate with its key. */
export async function enrollNode(
  api: ReturnType<typeof clients>,
  joinToken: string,
  name: string,
  slots = 1,
): Promise<{ err: grpc.ServiceError | null; nodeId: string; certPem: string; keyPem: string; caPem: string }> {
  const { keyPem, csrPem } = await createNodeKeyAndCsr();
  const { err, res } = await call<{ nodeId: string; certificatePem: string; caPem: string }>((cb) => api.node.Enroll({ joinToken, name, slots, csrPem, protocolVersion: AGENT_PROTOCOL }, cb));
  return { err, nodeId: res?.nodeId ?? '', certPem: res?.certificatePem ?? '', keyPem, caPem: res?.caPem ?? '' };
}
