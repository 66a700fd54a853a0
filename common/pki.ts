/**
 * The fleet's certificates: one fleet CA signs the control plane's server
 * certificates and the nodes' client certificates. Issuing uses
 * @peculiar/x509 over Node's WebCrypto (Node cannot issue certificates);
 * reading a peer's certificate uses Node's own X509Certificate.
 *
 * Names and roles:
 * - every control-plane certificate carries the DNS name `SERVER_NAME` and
 *   the serverAuth usage (see `tls-names.ts`);
 * - a node certificate carries the URI `urn:fleet:node:<nodeId>` and only the
 *   clientAuth usage: it can never pass as a server, and the node id comes
 *   from it, never from a field the node sends.
 */
// @peculiar/x509 resolves its parts through tsyringe, which needs this polyfill loaded first.
import 'reflect-metadata';
import { createHash, createPrivateKey, randomBytes, webcrypto, X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

import { SERVER_NAME } from './tls-names.js';

export { SERVER_NAME, serverNameCheck } from './tls-names.js';
export const NODE_URI_PREFIX = 'urn:fleet:node:';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGN_EC = { name: 'ECDSA', hash: 'SHA-256' } as const;
const SIGN_RSA = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;
/**
 * Issued certificates start a little in the past, as clocks between machines
 * differ: five minutes, or a tenth of a short lifetime (renewal is timed from
 * the start, so a backdate longer than the life would make it due at once).
 */
const BACKDATE_MS = 5 * 60_000;
const backdateMs = (lifetimeMs: number) => Math.min(BACKDATE_MS, Math.floor(lifetimeMs / 10));
/** A CSR larger than this is not one our agent made. */
export const MAX_CSR_BYTES = 8_192;

export interface Pem {
  certPem: string;
  keyPem: string;
}

/** A CA able to sign: its certificate and its private key, ready for WebCrypto. */
export interface SigningCa {
  certPem: string;
  cert: x509.X509Certificate;
  key: CryptoKey;
  algorithm: typeof SIGN_EC | typeof SIGN_RSA;
  fingerprint: string;
}

/** SHA-256 of the certificate's DER, in lowercase hex: what a join token pins. */
export function fingerprint(certPemOrDer: string | Buffer): string {
  const der = typeof certPemOrDer === 'string' ? new X509Certificate(certPemOrDer).raw : certPemOrDer;
  return createHash('sha256').update(der).digest('hex');
}

async function newKeys(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(EC_P256, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function keyPem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return x509.PemConverter.encode(der, 'PRIVATE KEY') + '\n';
}

function serial(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f; // positive
  return bytes.toString('hex');
}

/** A new fleet CA (ECDSA P-256), valid for `lifetimeMs`. */
export async function createCa(commonName: string, lifetimeMs: number, now = Date.now()): Promise<Pem> {
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${commonName}, O=cline-fleet`,
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(now + lifetimeMs),
    keys,
    signingAlgorithm: SIGN_EC,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: await keyPem(keys.privateKey) };
}

/**
 * Loads a CA for signing. EC (P-256, P-384) and RSA keys are accepted, in
 * PKCS#8 or the older SEC1/PKCS#1 PEM; the key must belong to the certificate.
 */
export async function loadSigningCa(certPem: string, keyPemText: string): Promise<SigningCa> {
  const cert = new x509.X509Certificate(certPem);
  const basic = cert.getExtension(x509.BasicConstraintsExtension);
  if (!basic?.ca) throw new Error('the CA certificate is not a CA (basicConstraints CA:TRUE is missing)');
  const nodeKey = createPrivateKey(keyPemText);
  const der = nodeKey.export({ type: 'pkcs8', format: 'der' });
  let key: CryptoKey;
  let algorithm: SigningCa['algorithm'];
  if (nodeKey.asymmetricKeyType === 'ec') {
    const curve = nodeKey.asymmetricKeyDetails?.namedCurve;
    const namedCurve = curve === 'prime256v1' ? 'P-256' : curve === 'secp384r1' ? 'P-384' : null;
    if (!namedCurve) throw new Error(`the CA key's curve ${curve} is not supported; use P-256 or P-384`);
    key = await webcrypto.subtle.importKey('pkcs8', der, { name: 'ECDSA', namedCurve }, false, ['sign']);
    algorithm = SIGN_EC;
  } else if (nodeKey.asymmetricKeyType === 'rsa') {
    key = await webcrypto.subtle.importKey('pkcs8', der, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['sign']);
    algorithm = SIGN_RSA;
  } else {
    throw new Error(`the CA key type ${nodeKey.asymmetricKeyType} is not supported; use EC or RSA`);
  }
  const node = new X509Certificate(certPem);
  if (!node.checkPrivateKey(nodeKey)) throw new Error('the CA key does not belong to the CA certificate');
  return { certPem, cert, key, algorithm, fingerprint: fingerprint(node.raw) };
}

async function issue(ca: SigningCa, subject: string, publicKey: CryptoKey | x509.PublicKey, lifetimeMs: number, now: number, extensions: x509.Extension[]): Promise<string> {
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject,
    issuer: ca.cert.subject,
    notBefore: new Date(now - backdateMs(lifetimeMs)),
    notAfter: new Date(Math.min(now + lifetimeMs, ca.cert.notAfter.getTime())),
    publicKey,
    signingKey: ca.key,
    signingAlgorithm: ca.algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert.publicKey),
      await x509.SubjectKeyIdentifierExtension.create(publicKey),
      ...extensions,
    ],
  });
  return cert.toString('pem') + '\n';
}

/**
 * A server certificate for a control-plane replica: `SERVER_NAME` and the
 * names and addresses it is reached at. A new key every time.
 */
export async function issueServerCert(ca: SigningCa, names: string[], lifetimeMs: number, now = Date.now()): Promise<Pem> {
  const keys = await newKeys();
  const unique = [...new Set([SERVER_NAME, ...names.filter(Boolean)])];
  const san = unique.map((value) => ({ type: isIp(value) ? ('ip' as const) : ('dns' as const), value }));
  const certPem = await issue(ca, `CN=${SERVER_NAME}, O=cline-fleet`, keys.publicKey, lifetimeMs, now, [
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension([SERVER_AUTH]),
    new x509.SubjectAlternativeNameExtension(san),
  ]);
  return { certPem, keyPem: await keyPem(keys.privateKey) };
}

function isIp(value: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(value) || value.includes(':');
}

/** The node's side: a new key (never sent) and a request to sign its public half. */
export async function createNodeKeyAndCsr(): Promise<{ keyPem: string; csrPem: string }> {
  const keys = await newKeys();
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: 'CN=fleet-node', keys, signingAlgorithm: SIGN_EC });
  return { keyPem: await keyPem(keys.privateKey), csrPem: csr.toString('pem') + '\n' };
}

export class CsrError extends Error {}

/** A CSR whose signature proves its sender holds a strong key; CsrError says what is wrong. */
export async function parseCsr(csrPem: string): Promise<x509.Pkcs10CertificateRequest> {
  if (Buffer.byteLength(csrPem) > MAX_CSR_BYTES) throw new CsrError(`is over ${MAX_CSR_BYTES} bytes`);
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(csrPem);
  } catch {
    throw new CsrError('is not a PEM certificate signing request');
  }
  const algorithm = csr.publicKey.algorithm as { name: string; namedCurve: string; modulusLength: number };
  const strong = (algorithm.name === 'ECDSA' && ['P-256', 'P-384'].includes(algorithm.namedCurve)) || (algorithm.name === 'RSASSA-PKCS1-v1_5' && algorithm.modulusLength >= 2048 && algorithm.modulusLength <= 4096);
  if (!strong) throw new CsrError('must carry an ECDSA P-256/P-384 or RSA (2048 to 4096 bits) key');
  if (!(await csr.verify())) throw new CsrError('signature does not verify');
  return csr;
}

/**
 * Signs a node's CSR as a client certificate for `nodeId`. Only the CSR's
 * public key is used, after its signature proves the sender holds the
 * private half; whatever names or extensions it asks for are ignored.
 */
export async function signNodeCsr(ca: SigningCa, csrPem: string, nodeId: string, lifetimeMs: number, now = Date.now()): Promise<{ certPem: string; expiresAtMs: number; serial: string }> {
  const csr = await parseCsr(csrPem);
  const certPem = await issue(ca, `CN=${nodeId}, O=fleet-node`, csr.publicKey, lifetimeMs, now, [
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([CLIENT_AUTH]),
    new x509.SubjectAlternativeNameExtension([{ type: 'url', value: `${NODE_URI_PREFIX}${nodeId}` }]),
  ]);
  const issued = new X509Certificate(certPem);
  return { certPem, expiresAtMs: Date.parse(issued.validTo), serial: issued.serialNumber };
}

/** What a verified peer certificate says about a node; null when it is not a node certificate. */
export interface NodeCertificate {
  nodeId: string;
  serial: string;
  notAfterMs: number;
}

export function readNodeCertificate(der: Buffer): NodeCertificate | null {
  const cert = new X509Certificate(der);
  const usages = cert.keyUsage ?? [];
  if (!usages.includes(CLIENT_AUTH) || usages.includes(SERVER_AUTH)) return null;
  const uris = (cert.subjectAltName ?? '')
    .split(', ')
    .filter((n) => n.startsWith(`URI:${NODE_URI_PREFIX}`))
    .map((n) => n.slice(`URI:${NODE_URI_PREFIX}`.length));
  if (uris.length !== 1 || !/^node_[0-9a-z]{19}$/.test(uris[0]!)) return null;
  return { nodeId: uris[0]!, serial: cert.serialNumber, notAfterMs: Date.parse(cert.validTo) };
}

/** When a certificate stops being valid, in ms since the epoch. */
export function expiresAtMs(certPem: string): number {
  return Date.parse(new X509Certificate(certPem).validTo);
}

/** When it became valid. */
export function validFromMs(certPem: string): number {
  return Date.parse(new X509Certificate(certPem).validFrom);
}
