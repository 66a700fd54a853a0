/**
 * The operator's side of the public API, as fleetctl uses it: FleetService
 * over TLS verified against the fleet CA, with the admin token as a bearer
 * token, and grpc.health.v1 to know when a replica serves. With several
 * replicas, calls go to each in turn (replicas are stateless; a load
 * balancer would do the same).
 */
import * as grpc from '@grpc/grpc-js';
import { channelOptions, loadProtos } from '../../common/proto.js';
import type { FleetServiceClient } from '../../proto/gen/fleet/v1/FleetService.js';
import type { Node__Output } from '../../proto/gen/fleet/v1/Node.js';
import type { Task__Output } from '../../proto/gen/fleet/v1/Task.js';
import type { TaskSpec } from '../../proto/gen/fleet/v1/TaskSpec.js';
import type { HealthCheckResponse__Output } from '../../proto/gen/grpc/health/v1/HealthCheckResponse.js';
import { bearer } from '../../test/harness/grpc.js';
import { channelCredentials } from '../../node-agent/src/node-credentials.js';

const CALL_DEADLINE_MS = 60_000;
const HEALTH_DEADLINE_MS = 2_000;

function unary<T>(invoke: (callback: (err: grpc.ServiceError | null, res?: T) => void) => unknown): Promise<T> {
  return new Promise((resolve, reject) => invoke((err, res) => (err ? reject(err) : resolve(res!))));
}

const deadline = (ms = CALL_DEADLINE_MS): grpc.CallOptions => ({ deadline: Date.now() + ms });

/** A replica's health (`SERVING`, `NOT_SERVING`), or null when it does not answer. */
export async function healthOf(endpoint: string, caPem: string): Promise<HealthCheckResponse__Output['status'] | null> {
  const { health } = loadProtos();
  const client = new health.grpc.health.v1.Health(endpoint, channelCredentials(caPem), channelOptions(endpoint));
  try {
    return (await unary<HealthCheckResponse__Output>((cb) => client.Check({ service: '' }, deadline(HEALTH_DEADLINE_MS), cb))).status;
  } catch {
    return null;
  } finally {
    client.close();
  }
}

export class FleetApi {
  private readonly clients: FleetServiceClient[];
  private readonly metadata: grpc.Metadata;
  private next = 0;

  constructor(endpoints: string[], caPem: string, adminToken: string) {
    const { fleet } = loadProtos();
    this.clients = endpoints.map((endpoint) => new fleet.fleet.v1.FleetService(endpoint, channelCredentials(caPem), channelOptions(endpoint)));
    this.metadata = bearer(adminToken);
  }

  private client(): FleetServiceClient {
    return this.clients[this.next++ % this.clients.length]!;
  }

  /** Submits a task; resolves with its id. */
  async submit(spec: TaskSpec): Promise<string> {
    return (await unary<Task__Output>((cb) => this.client().SubmitTask({ spec }, this.metadata, deadline(), cb))).id;
  }

  /** The task, or null if the control plane does not know it. */
  async getTask(taskId: string): Promise<Task__Output | null> {
    try {
      return await unary<Task__Output>((cb) => this.client().GetTask({ taskId }, this.metadata, deadline(), cb));
    } catch (err) {
      if ((err as grpc.ServiceError).code === grpc.status.NOT_FOUND) return null;
      throw err;
    }
  }

  /** A join token for `maxUses` nodes, valid for `ttlMs`. */
  async createJoinToken(maxUses: number, ttlMs: number): Promise<string> {
    return (await unary<{ token: string }>((cb) => this.client().CreateJoinToken({ maxUses, ttlMs }, this.metadata, deadline(), cb))).token;
  }

  async listNodes(): Promise<Node__Output[]> {
    return (await unary<{ nodes: Node__Output[] }>((cb) => this.client().ListNodes({}, this.metadata, deadline(), cb))).nodes;
  }

  close(): void {
    for (const client of this.clients) client.close();
  }
}
