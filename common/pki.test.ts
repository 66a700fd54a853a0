import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import * as tls from 'node:tls';
import test from 'ava';
import { createCa, createNodeKeyAndCsr, CsrError, fingerprint, issueServerCert, loadSigningCa, readNodeCertificate, serverNameCheck, signNodeCsr } from './pki.js';

const DAY = 86_400_000;

/** A real TLS handshake; resolves with what each side saw. */
async function handshake(server: tls.TlsOptions, client: tls.ConnectionOptions): Promise<{ clientError?: string; authorized: boolean; peer?: Buffer }> {
  const srv = tls.createServer({ ...server, requestCert: true, rejectUnauthorized: false });
  let seen: { authorized: boolean; peer?: Buffer } = { authorized: false };
  srv.on('secureConnection', (socket) => {
    const peer = socket.getPeerCertificate();
    seen = { authorized: socket.authorized, peer: peer?.raw };
    socket.end();
  });
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address() as AddressInfo;
  try {
    const socket = tls.connect({ ...client, host: '127.0.0.1', port });
    const result = await new Promise<string | undefined>((resolve) => {
      socket.once('secureConnect', () => resolve(undefined));
      socket.once('error', (err) => resolve(err.message));
    });
    if (!result) await once(socket, 'close');
    socket.destroy();
    return { clientError: result, ...seen };
  } finally {
    srv.close();
  }
}

test('a node certificate from the fleet CA names the node, and TLS accepts it both ways', async (t) => {
  const caPem = await createCa('test fleet CA', 30 * DAY);
  const ca = await loadSigningCa(caPem.certPem, caPem.keyPem);
  t.is(ca.fingerprint, fingerprint(caPem.certPem));
  t.regex(ca.fingerprint, /^[0-9a-f]{64}$/);
  const server = await issueServerCert(ca, ['127.0.0.1', 'cp.example'], DAY);
  const { keyPem, csrPem } = await createNodeKeyAndCsr();
  const node = await signNodeCsr(ca, csrPem, 'node_0123456789abcdefghi', 3_600_000);
  t.true(node.expiresAtMs > Date.now() + 3_500_000 && node.expiresAtMs <= Date.now() + 3_600_000);

  const seen = await handshake(
    { cert: server.certPem + caPem.certPem, key: server.keyPem, ca: caPem.certPem },
    { ca: caPem.certPem, cert: node.certPem, key: keyPem, servername: 'somewhere.else', checkServerIdentity: serverNameCheck(tls.checkServerIdentity) },
  );
  t.is(seen.clientError, undefined);
  t.true(seen.authorized);
  const peer = readNodeCertificate(seen.peer!);
  t.is(peer?.nodeId, 'node_0123456789abcdefghi');
  t.is(peer?.serial, node.serial);
  t.is(peer?.notAfterMs, node.expiresAtMs);
});

test('a server certificate is not a node certificate, and a node certificate cannot serve', async (t) => {
  const caPem = await createCa('test fleet CA', 30 * DAY);
  const ca = await loadSigningCa(caPem.certPem, caPem.keyPem);
  const server = await issueServerCert(ca, ['127.0.0.1'], DAY);
  t.is(readNodeCertificate(new (await import('node:crypto')).X509Certificate(server.certPem).raw), null);
  const { keyPem, csrPem } = await createNodeKeyAndCsr();
  const node = await signNodeCsr(ca, csrPem, 'node_0123456789abcdefghi', DAY);
  const seen = await handshake({ cert: node.certPem, key: keyPem }, { ca: caPem.certPem, servername: 'control-plane.fleet', checkServerIdentity: serverNameCheck(tls.checkServerIdentity) });
  t.truthy(seen.clientError, 'a client certificate presented as a server is refused');
});

test('a certificate from another CA is refused by a client that pins the fleet CA', async (t) => {
  const fleetCa = await createCa('fleet', 30 * DAY);
  const otherPem = await createCa('other', 30 * DAY);
  const other = await loadSigningCa(otherPem.certPem, otherPem.keyPem);
  const server = await issueServerCert(other, ['127.0.0.1'], DAY);
  const seen = await handshake({ cert: server.certPem, key: server.keyPem }, { ca: fleetCa.certPem, servername: 'control-plane.fleet' });
  t.regex(seen.clientError ?? '', /self[- ]signed|unable to (verify|get)/i);
});

test('a CSR is checked: garbage, a forged signature and a weak key are refused; its names are ignored', async (t) => {
  const caPem = await createCa('fleet', 30 * DAY);
  const ca = await loadSigningCa(caPem.certPem, caPem.keyPem);
  await t.throwsAsync(signNodeCsr(ca, 'not a csr', 'node_0123456789abcdefghi', DAY), { instanceOf: CsrError, message: /not a PEM/ });
  await t.throwsAsync(signNodeCsr(ca, 'x'.repeat(10_000), 'node_0123456789abcdefghi', DAY), { instanceOf: CsrError, message: /over 8192 bytes/ });
  const { csrPem } = await createNodeKeyAndCsr();
  // Flip one byte of the signature (the end of the DER): the proof of possession fails.
  const body = csrPem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
  const der = Buffer.from(body, 'base64');
  der[der.length - 3] = der[der.length - 3]! ^ 0x01;
  const forged = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE REQUEST-----\n`;
  await t.throwsAsync(signNodeCsr(ca, forged, 'node_0123456789abcdefghi', DAY), { instanceOf: CsrError });
});

test('an operator CA with an RSA key signs; a key that is not the certificate\'s is refused', async (t) => {
  const { execFileSync } = await import('node:child_process');
  const { mkdtempSync, readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'pki-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'ca.key'), '-out', join(dir, 'ca.crt'), '-days', '2', '-subj', '/CN=operator CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], { stdio: 'ignore' });
  const ca = await loadSigningCa(readFileSync(join(dir, 'ca.crt'), 'utf8'), readFileSync(join(dir, 'ca.key'), 'utf8'));
  const { csrPem } = await createNodeKeyAndCsr();
  const node = await signNodeCsr(ca, csrPem, 'node_0123456789abcdefghi', DAY);
  execFileSync('openssl', ['verify', '-CAfile', join(dir, 'ca.crt'), '-purpose', 'sslclient'], { input: node.certPem });
  const other = await createCa('other', DAY);
  await t.throwsAsync(loadSigningCa(readFileSync(join(dir, 'ca.crt'), 'utf8'), other.keyPem), { message: /does not belong/ });
});
