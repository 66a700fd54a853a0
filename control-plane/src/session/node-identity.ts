/**
 * Who is calling NodeService.Connect: the node its TLS client certificate
 * names, and nothing it sends. The handshake has already checked the chain
 * against the fleet CA and the validity dates; a missing, foreign or expired
 * certificate leaves the connection unauthorized and the call is refused.
 */
import type * as grpc from '@grpc/grpc-js';
import { AuthError } from '../../../common/errors.js';
import { readNodeCertificate, type NodeCertificate } from '../../../common/pki.js';

export function peerNodeCertificate(call: grpc.ServerDuplexStream<unknown, unknown>): NodeCertificate {
  const context = call.getAuthContext();
  const der = context?.sslPeerCertificate?.raw;
  if (!der) {
    throw new AuthError(
      'no valid node certificate: the node presented none, or one that is expired or from another fleet CA; enroll it with a new join token (fleetctl token create)',
    );
  }
  const cert = readNodeCertificate(der);
  if (!cert) throw new AuthError('the client certificate is not a node certificate of this fleet');
  return cert;
}
