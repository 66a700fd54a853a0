/**
 * The control plane's TLS: the fleet CA (made on first start in
 * DATA_DIR/tls, or the operator's), the replica's server certificate
 * (issued by the CA at start and renewed in place before it expires, or the
 * operator's), and gRPC server credentials that ask every client for a
 * certificate without requiring one: operators' calls carry a bearer token,
 * node sessions must present a node certificate (checked per call in
 * `session/node-identity.ts`).
 */
import { chmodSync, existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from '../../../common/logger.js';
import { readFile, readPrivateFile } from '../private-file.js';
import { hostOf } from '../../../common/tls-names.js';
import { createCa, expiresAtMs, issueServerCert, loadSigningCa, validFromMs, type Pem, type SigningCa } from '../../../common/pki.js';

export const CA_LIFETIME_MS = 10 * 365 * 86_400_000;
export const SERVER_CERT_LIFETIME_MS = 30 * 86_400_000;
export const DEFAULT_NODE_CERT_LIFETIME_MS = 3 * 86_400_000;

export interface TlsOptions {
  /** The CA's certificate and key files; default DATA_DIR/tls/ca.{crt,key}, made on first start. */
  caCertFile?: string;
  caKeyFile?: string;
  /** The replica's own certificate (chain) and key; default: issued by the fleet CA. */
  certFile?: string;
  keyFile?: string;
}

export const caPaths = (dataDir: string) => ({ cert: join(dataDir, 'tls', 'ca.crt'), key: join(dataDir, 'tls', 'ca.key') });

/** The fleet CA: the operator's files, or DATA_DIR/tls's, made on first start (key 0600). */
export async function loadOrCreateFleetCa(dataDir: string, options: TlsOptions, log: Logger): Promise<SigningCa> {
  if (options.caCertFile || options.caKeyFile) {
    if (!options.caCertFile || !options.caKeyFile) throw new Error('--tls-ca-cert and --tls-ca-key go together');
    const certPem = readFile(options.caCertFile, '--tls-ca-cert');
    const keyPem = readPrivateFile(options.caKeyFile, '--tls-ca-key');
    return loadSigningCa(certPem, keyPem).catch((err: Error) => {
      throw new Error(`--tls-ca-cert/--tls-ca-key: ${err.message}`);
    });
  }
  const paths = caPaths(dataDir);
  if (!existsSync(paths.cert)) {
    mkdirSync(join(dataDir, 'tls'), { recursive: true, mode: 0o700 });
    const ca = await createCa(`cline-fleet CA ${hostname()}`, CA_LIFETIME_MS);
    // Key first, certificate last, each whole by rename: the certificate's presence means both are there.
    // A key left without its certificate (a crash in between) was never used and is replaced.
    writeFileSync(`${paths.key}.tmp`, ca.keyPem, { mode: 0o600 });
    chmodSync(`${paths.key}.tmp`, 0o600);
    renameSync(`${paths.key}.tmp`, paths.key);
    writeFileSync(`${paths.cert}.tmp`, ca.certPem, { mode: 0o644 });
    renameSync(`${paths.cert}.tmp`, paths.cert);
    log.info({ path: paths.cert }, 'fleet CA created');
  }
  const ca = await loadSigningCa(readFile(paths.cert, 'fleet CA'), readPrivateFile(paths.key, 'fleet CA key'));
  const leftMs = ca.cert.notAfter.getTime() - Date.now();
  if (leftMs < 30 * 86_400_000) log.warn({ expiresAt: ca.cert.notAfter.toISOString() }, 'the fleet CA expires within 30 days: node certificates cannot outlive it; plan a new CA');
  return ca;
}

/**
 * The replica's server identity for gRPC: an in-memory certificate provider
 * whose certificate is renewed at two thirds of its life without a restart
 * (connections already open keep theirs).
 */
export class ServerIdentity implements grpc.experimental.CertificateProvider {
  private current: Pem | null = null;
  private timer: NodeJS.Timeout | undefined;
  private readonly caListeners = new Set<grpc.experimental.CaCertificateUpdateListener>();
  private readonly identityListeners = new Set<grpc.experimental.IdentityCertificateUpdateListener>();

  private constructor(
    private readonly ca: SigningCa,
    private readonly names: string[],
    private readonly own: Pem | null,
    private readonly log: Logger,
  ) {}

  static async start(ca: SigningCa, names: string[], options: TlsOptions, log: Logger): Promise<ServerIdentity> {
    let own: Pem | null = null;
    if (options.certFile || options.keyFile) {
      if (!options.certFile || !options.keyFile) throw new Error('--tls-cert and --tls-key go together');
      own = { certPem: readFile(options.certFile, '--tls-cert'), keyPem: readPrivateFile(options.keyFile, '--tls-key') };
    }
    const identity = new ServerIdentity(ca, names, own, log);
    await identity.renew();
    return identity;
  }

  /** When the certificate served now expires (unix ms). */
  get expiresAtMs(): number {
    return this.current ? expiresAtMs(this.current.certPem) : 0;
  }

  /** The names the issued certificate carries (for the log). */
  get serverNames(): string[] {
    return this.names;
  }

  credentials(): grpc.ServerCredentials {
    // The same object serves as the CA provider and the identity provider.
    return grpc.experimental.createCertificateProviderServerCredentials(this, this, false);
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  private async renew(): Promise<void> {
    if (this.own) {
      this.current = this.own;
    } else {
      const issued = await issueServerCert(this.ca, this.names, SERVER_CERT_LIFETIME_MS);
      // The chain ends with the CA, so that an agent holding only the CA's fingerprint can find it.
      this.current = { certPem: issued.certPem + this.ca.certPem, keyPem: issued.keyPem };
      const from = validFromMs(issued.certPem);
      const renewAt = from + ((expiresAtMs(issued.certPem) - from) * 2) / 3;
      this.timer = setTimeout(() => {
        this.renew().then(
          () => this.log.info('server certificate renewed'),
          (err: unknown) => this.log.error({ err: (err as Error).message }, 'server certificate renewal failed'),
        );
      }, Math.min(Math.max(1_000, renewAt - Date.now()), 2 ** 31 - 1));
      this.timer.unref();
    }
    for (const listener of this.identityListeners) listener(this.identityUpdate());
  }

  private identityUpdate(): grpc.experimental.IdentityCertificateUpdate | null {
    return this.current ? { certificate: Buffer.from(this.current.certPem), privateKey: Buffer.from(this.current.keyPem) } : null;
  }

  // Listeners hear the current value on the next turn: grpc-js registers its
  // own watcher only after adding its listeners, and would miss a call made now.
  addCaCertificateListener(listener: grpc.experimental.CaCertificateUpdateListener): void {
    this.caListeners.add(listener);
    setImmediate(() => {
      if (this.caListeners.has(listener)) listener({ caCertificate: Buffer.from(this.ca.certPem) });
    });
  }

  removeCaCertificateListener(listener: grpc.experimental.CaCertificateUpdateListener): void {
    this.caListeners.delete(listener);
  }

  addIdentityCertificateListener(listener: grpc.experimental.IdentityCertificateUpdateListener): void {
    this.identityListeners.add(listener);
    setImmediate(() => {
      if (this.identityListeners.has(listener)) listener(this.identityUpdate());
    });
  }

  removeIdentityCertificateListener(listener: grpc.experimental.IdentityCertificateUpdateListener): void {
    this.identityListeners.delete(listener);
  }
}

/** The names a replica's certificate carries: where it listens, where it is advertised, and this host's. */
export function serverNames(listen: string, advertise: string | undefined): string[] {
  const names = [hostOf(listen), advertise ? hostOf(advertise) : '', 'localhost', '127.0.0.1', '::1', hostname()];
  return [...new Set(names.filter((n) => n && n !== '0.0.0.0' && n !== '::'))];
}
