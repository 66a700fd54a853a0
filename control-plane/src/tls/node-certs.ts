/**
 * Node certificates: the fleet CA signs a node's CSR as a client certificate
 * naming the node. Lifetimes are short (days by default, seconds in tests);
 * agents renew over their session at 70–90% of a certificate's life.
 */
import { ValidationError } from '../../../common/errors.js';
import type { Clock } from '../../../common/clock.js';
import { CsrError, parseCsr, signNodeCsr, type SigningCa } from '../../../common/pki.js';

/** Below this, a certificate could expire before the agent renews it over one heartbeat. */
export const MIN_NODE_CERT_LIFETIME_MS = 5_000;

export class NodeCertificates {
  constructor(
    private readonly ca: SigningCa,
    readonly lifetimeMs: number,
    private readonly clock: Clock,
  ) {}

  get caPem(): string {
    return this.ca.certPem;
  }

  get caFingerprint(): string {
    return this.ca.fingerprint;
  }

  /** Checks a CSR before anything is spent on it (a join token's use). */
  async check(csrPem: string, field = 'csr_pem'): Promise<void> {
    try {
      await parseCsr(csrPem);
    } catch (err) {
      if (err instanceof CsrError) throw new ValidationError(field, err.message);
      throw err;
    }
  }

  /** A client certificate for `nodeId`, for the key behind `csrPem`; ValidationError names the field. */
  async issue(nodeId: string, csrPem: string, field = 'csr_pem'): Promise<{ certPem: string; expiresAtMs: number }> {
    try {
      const { certPem, expiresAtMs } = await signNodeCsr(this.ca, csrPem, nodeId, this.lifetimeMs, this.clock.now());
      return { certPem, expiresAtMs };
    } catch (err) {
      if (err instanceof CsrError) throw new ValidationError(field, err.message);
      throw err;
    }
  }
}
