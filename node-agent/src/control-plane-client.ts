/**
 * The agent's side of the gRPC contract: which errors are worth retrying,
 * enrollment, and clients for a list of endpoints.
 */
import { X509Certificate } from 'node:crypto';
import * as tls from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { Backoff } from '../../common/backoff.js';
import { createNodeKeyAndCsr, fingerprint, SERVER_NAME } from '../../common/pki.js';
import { channelOptions, loadProtos } from '../../common/proto.js';
import { AGENT_PROTOCOL } from '../../common/protocol.js';
import type { Logger } from '../../common/logger.js';
import type { NodeServiceClient } from '../../proto/gen/fleet/v1/NodeService.js';
import type { AgentIdentity } from './agent.js';
import { checkIdentity, IdentityError, type Identity } from './identity.js';
import { channelCredentials } from './node-credentials.js';

/**
 * Reconnects spread with full jitter: after a control plane restart, a
 * hundred agents come back over about three seconds, not all at once. The
 * cap stays well under the default down-after (30s), so that after a long
 * outage a new leader hears from every live agent before it judges any DOWN.
 */
export const RECONNECT_BACKOFF = { initialMs: 3_000, maxMs: 10_000, multiplier: 2 };
/**
 * After a refusal that lasts until a person acts (FAILED_PRECONDITION: this
 * agent's node protocol is not accepted, and one side must be upgraded):
 * tried again rarely, so that an upgraded control plane is found without
 * a restart, and a fleet of refused agents does not spin.
 */
export const REFUSED_BACKOFF = { initialMs: 15_000, maxMs: 120_000, multiplier: 2 };
const ENROLL_DEADLINE_MS = 15_000;
const DISCOVERY_TIMEOUT_MS = 10_000;

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

/** An endpoint whose chain lacks the pinned CA: nothing was sent to it. */
class MismatchedCaError extends Error {}

/** Refused until one side is upgraded (see REFUSED_BACKOFF). */
export function isRefused(err: unknown): boolean {
  return (err as grpc.ServiceError)?.code === grpc.status.FAILED_PRECONDITION;
}

export function isFatal(err: unknown): boolean {
  const code = (err as grpc.ServiceError)?.code;
  return code !== undefined && FATAL.has(code);
}

export function describe(err: unknown): string {
  const e = err as grpc.ServiceError;
  return e?.details || e?.message || String(err);
}

export function nodeClient(endpoint: string, credentials: grpc.ChannelCredentials): NodeServiceClient {
  const { fleet } = loadProtos();
  return new fleet.fleet.v1.NodeService(endpoint, credentials, channelOptions(endpoint));
}

/** The CA fingerprint a join token carries (its last part); FatalError if it has none. */
export function joinTokenPin(joinToken: string): string {
  const pin = joinToken.split('.')[2] ?? '';
  if (joinToken.split('.').length !== 3 || !/^[0-9a-f]{64}$/.test(pin)) {
    throw new FatalError('--join-token: malformed; it is ID.SECRET.CA-FINGERPRINT, as "fleetctl token create" prints it');
  }
  return pin;
}

/**
 * Finds the fleet CA before trusting anything: a TLS handshake that verifies
 * nothing yet, then the certificate in the server's chain whose SHA-256 is
 * the join token's pin. Nothing is sent over this connection, and the CA it
 * yields is then the only root the real connection trusts.
 */
export async function discoverCa(endpoint: string, pin: string): Promise<string> {
  const { host, port } = splitEndpoint(endpoint);
  const chain = await new Promise<tls.DetailedPeerCertificate>((resolve, reject) => {
    const socket = tls.connect({ host, port, servername: SERVER_NAME, rejectUnauthorized: false, ALPNProtocols: ['h2'], timeout: DISCOVERY_TIMEOUT_MS });
    socket.once('secureConnect', () => {
      const peer = socket.getPeerCertificate(true);
      socket.destroy();
      resolve(peer);
    });
    socket.once('timeout', () => {
      socket.destroy();
      reject(Object.assign(new Error(`no TLS handshake with ${endpoint} within ${DISCOVERY_TIMEOUT_MS}ms`), { code: grpc.status.UNAVAILABLE }));
    });
    socket.once('error', (err) => reject(Object.assign(new Error(`TLS to ${endpoint}: ${err.message}`), { code: grpc.status.UNAVAILABLE })));
  });
  const seen = new Set<string>();
  for (let cert: tls.DetailedPeerCertificate | undefined = chain; cert?.raw && !seen.has(cert.fingerprint256); cert = cert.issuerCertificate) {
    seen.add(cert.fingerprint256);
    if (fingerprint(cert.raw) === pin) return new X509Certificate(cert.raw).toString();
  }
  throw new MismatchedCaError(
    `the control plane at ${endpoint} does not present the fleet CA this join token pins (sha256 ${pin.slice(0, 16)}…): check --control-plane, or someone is in between; nothing was sent`,
  );
}

function splitEndpoint(endpoint: string): { host: string; port: number } {
  const match = /^(?:\[([0-9a-fA-F:]+)\]|([^:]+)):(\d+)$/.exec(endpoint);
  if (!match) throw new FatalError(`--control-plane: "${endpoint}" is not HOST:PORT`);
  return { host: match[1] ?? match[2]!, port: Number(match[3]) };
}

/**
 * Enrolls with the first endpoint that answers: finds the CA the join token
 * pins, makes a key that stays here, and trades the token and a CSR for the
 * node's certificate. Retries with backoff while no endpoint answers.
 */
export async function enroll(
  endpoints: string[],
  joinToken: string,
  identity: Omit<AgentIdentity, 'nodeId'>,
  log: Logger,
  signal: AbortSignal,
): Promise<Identity> {
  const pin = joinTokenPin(joinToken);
  const backoff = new Backoff(RECONNECT_BACKOFF);
  const refusedBackoff = new Backoff(REFUSED_BACKOFF);
  const mismatched = new Set<string>();
  for (let i = 0; !signal.aborted; i++) {
    const endpoint = endpoints[i % endpoints.length]!;
    let client: NodeServiceClient | undefined;
    try {
      const caPem = await discoverCa(endpoint, pin);
      const { keyPem, csrPem } = await createNodeKeyAndCsr();
      client = nodeClient(endpoint, channelCredentials(caPem));
      const res = await new Promise<{ nodeId: string; certificatePem: string; caPem: string }>((resolve, reject) =>
        client!.Enroll({ joinToken, csrPem, ...identity, protocolVersion: AGENT_PROTOCOL }, { deadline: Date.now() + ENROLL_DEADLINE_MS }, (err, value) => (err ? reject(err) : resolve(value!))),
      );
      if (res.caPem.trim() !== caPem.trim()) log.warn({ endpoint }, 'the control plane sent a CA other than the pinned one; keeping the pinned one');
      const enrolled: Identity = { nodeId: res.nodeId, enrolledAtMs: Date.now(), caPem, certPem: res.certificatePem, keyPem };
      // What came back must be a certificate of the pinned CA, for this key, naming the node: checked before it is kept.
      checkIdentity(enrolled, `the certificate from ${endpoint}`);
      return enrolled;
    } catch (err) {
      if (err instanceof MismatchedCaError) {
        // Perhaps only this address is wrong (or intercepted): the others may still be the fleet's.
        mismatched.add(endpoint);
        if (mismatched.size >= endpoints.length) throw new FatalError(err.message);
        log.error({ endpoint, err: err.message }, 'enrollment: this endpoint is not the pinned fleet; trying the others');
        continue;
      }
      if (err instanceof FatalError || err instanceof IdentityError) throw new FatalError((err as Error).message);
      if (isFatal(err)) throw new FatalError(`enrollment refused by ${endpoint}: ${describe(err)}`);
      if (isRefused(err)) {
        const delayMs = refusedBackoff.next();
        log.error({ endpoint, reason: describe(err), retryInMs: delayMs }, 'enrollment refused by the control plane until one side is upgraded; trying again later');
        await new Promise((r) => setTimeout(r, delayMs));
        continue;
      }
      const delayMs = backoff.next();
      log.warn({ endpoint, err: describe(err), retryInMs: delayMs }, 'enrollment failed; retrying');
      await new Promise((r) => setTimeout(r, delayMs));
    } finally {
      client?.close();
    }
  }
  throw new FatalError('stopped before enrollment completed');
}
