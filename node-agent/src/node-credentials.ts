/**
 * The node's certificate while the agent runs: gRPC credentials from it
 * (the fleet CA as the only root, the fleet's server name accepted), and its
 * renewal over the live session, kubelet-style: at a random point between
 * 70% and 90% of its life the agent makes a new key, sends a CSR, and keeps
 * the certificate that comes back once it is checked. Sessions already open
 * keep going; the next connection uses the new certificate.
 */
import * as tls from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { createNodeKeyAndCsr, expiresAtMs, validFromMs } from '../../common/pki.js';
import { serverNameCheck } from '../../common/tls-names.js';
import { checkIdentity, saveIdentity, type Identity } from './identity.js';

export class NodeCredentials {
  private renewAt: number;
  private pendingKeyPem: string | null = null;

  constructor(
    private readonly dataDir: string,
    private current: Identity,
    private readonly random: () => number = Math.random,
  ) {
    this.renewAt = this.pickRenewAt();
  }

  get nodeId(): string {
    return this.current.nodeId;
  }

  /** When the current certificate is due for renewal. */
  get renewAtMs(): number {
    return this.renewAt;
  }

  get expiresAtMs(): number {
    return expiresAtMs(this.current.certPem);
  }

  /** For the next connection: the CA as the only root, and this node's certificate. */
  channel(): grpc.ChannelCredentials {
    return channelCredentials(this.current.caPem, { certPem: this.current.certPem, keyPem: this.current.keyPem });
  }

  /** A CSR for a new key when the certificate is due for renewal and none is under way; null otherwise. */
  async renewalRequest(now = Date.now()): Promise<string | null> {
    if (now < this.renewAt || this.pendingKeyPem !== null) return null;
    const { keyPem, csrPem } = await createNodeKeyAndCsr();
    this.pendingKeyPem = keyPem;
    return csrPem;
  }

  /** The session that carried the request ended: ask again on the next. */
  renewalLost(): void {
    this.pendingKeyPem = null;
  }

  /** Checks and keeps a renewed certificate; throws (keeping the old one) if it is not ours. */
  accept(certPem: string): { expiresAtMs: number } {
    const keyPem = this.pendingKeyPem;
    if (!keyPem) throw new Error('a certificate arrived that this node did not ask for');
    const next: Identity = { ...this.current, certPem, keyPem };
    checkIdentity(next, 'the renewed certificate');
    // Equal is fine (near the CA's own expiry, certificates cannot outlive it); earlier is not ours to keep.
    if (expiresAtMs(certPem) < this.expiresAtMs) throw new Error('the renewed certificate expires before the current one');
    saveIdentity(this.dataDir, next);
    this.current = next;
    this.pendingKeyPem = null;
    this.renewAt = this.pickRenewAt();
    return { expiresAtMs: this.expiresAtMs };
  }

  private pickRenewAt(): number {
    const from = validFromMs(this.current.certPem);
    const life = expiresAtMs(this.current.certPem) - from;
    return from + life * (0.7 + 0.2 * this.random());
  }
}

/** TLS to the control plane, trusting only the fleet CA; with a client certificate for sessions. */
export function channelCredentials(caPem: string, client?: { certPem: string; keyPem: string }): grpc.ChannelCredentials {
  return grpc.credentials.createSsl(Buffer.from(caPem), client ? Buffer.from(client.keyPem) : null, client ? Buffer.from(client.certPem) : null, {
    checkServerIdentity: serverNameCheck(tls.checkServerIdentity),
  });
}

