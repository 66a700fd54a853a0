/**
 * The agent's side of the gRPC contract: which errors are worth retrying,
 * enrollment, and clients for a list of endpoints.
 */
import * as grpc from '@grpc/grpc-js';
import { Backoff } from '../../common/backoff.js';
import { CHANNEL_OPTIONS, loadProtos } from '../../common/proto.js';
import type { Logger } from '../../common/logger.js';
import type { NodeServiceClient } from '../../proto/gen/fleet/v1/NodeService.js';
import type { AgentIdentity } from './agent.js';

/**
 * Reconnects spread with full jitter: after a control plane restart, a
 * hundred agents come back over about three seconds, not all at once. The
 * cap stays well under the default down-after (30s), so that after a long
 * outage a new leader hears from every live agent before it judges any DOWN.
 */
export const RECONNECT_BACKOFF = { initialMs: 3_000, maxMs: 10_000, multiplier: 2 };
const ENROLL_DEADLINE_MS = 15_000;

/**
 * Errors after which trying again cannot help; the agent stops and says why.
 * Everything else (UNAVAILABLE, DEADLINE_EXCEEDED, INTERNAL from a replica
 * going down, ABORTED from a CAS race, ...) is retried with backoff.
 */
const FATAL: ReadonlyMap<grpc.status, string> = new Map([
  // The token is wrong, expired, used up or the node was removed: a person must act.
  [grpc.status.UNAUTHENTICATED, 'credentials refused'],
  [grpc.status.PERMISSION_DENIED, 'not allowed'],
  // Our own request is malformed (bad --name, --labels, --slots): retrying sends the same.
  [grpc.status.INVALID_ARGUMENT, 'request refused'],
  // The server does not know the method: agent and control plane versions do not match.
  [grpc.status.UNIMPLEMENTED, 'control plane does not support this agent version'],
]);

export class FatalError extends Error {}

export function isFatal(err: unknown): boolean {
  const code = (err as grpc.ServiceError)?.code;
  return code !== undefined && FATAL.has(code);
}

export function describe(err: unknown): string {
  const e = err as grpc.ServiceError;
  return e?.details || e?.message || String(err);
}

export function nodeClient(endpoint: string): NodeServiceClient {
  const { fleet } = loadProtos();
  return new fleet.fleet.v1.NodeService(endpoint, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
}

/** Enrolls with the first endpoint that answers; retries with backoff while none does. */
export async function enroll(
  endpoints: string[],
  joinToken: string,
  identity: Omit<AgentIdentity, 'nodeId'>,
  log: Logger,
  signal: AbortSignal,
): Promise<{ nodeId: string; nodeToken: string }> {
  const backoff = new Backoff(RECONNECT_BACKOFF);
  for (let i = 0; !signal.aborted; i++) {
    const endpoint = endpoints[i % endpoints.length]!;
    const client = nodeClient(endpoint);
    try {
      const res = await new Promise<{ nodeId: string; nodeToken: string }>((resolve, reject) =>
        client.Enroll({ joinToken, ...identity }, { deadline: Date.now() + ENROLL_DEADLINE_MS }, (err, value) => (err ? reject(err) : resolve(value!))),
      );
      return res;
    } catch (err) {
      if (isFatal(err)) throw new FatalError(`enrollment refused by ${endpoint}: ${describe(err)}`);
      const delayMs = backoff.next();
      log.warn({ endpoint, err: describe(err), retryInMs: delayMs }, 'enrollment failed; retrying');
      await new Promise((r) => setTimeout(r, delayMs));
    } finally {
      client.close();
    }
  }
  throw new FatalError('stopped before enrollment completed');
}
