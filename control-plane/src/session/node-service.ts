/** NodeService: enrollment and the nodes' sessions. */
import type * as grpc from '@grpc/grpc-js';
import type { Logger } from '../../../common/logger.js';
import type { NodeServiceHandlers } from '../../../proto/gen/fleet/v1/NodeService.js';
import { toGrpcStatus } from '../grpc-status.js';
import { peerNodeCertificate } from './node-identity.js';
import { Admission } from './admission.js';
import { NodeSession, SessionRegistry, type SessionDeps } from './node-session.js';
import { validateNodeInfo } from '../../../common/node-info.js';
import { agentProtocolRefusal, describeAccepted, ProtocolSkewError } from '../../../common/protocol.js';
import { int } from '../../../common/wire/fields.js';

/** Enrollments signing at once (each a certificate, a token use and a record), and waiting. */
const ENROLL_CONCURRENCY = 8;
const ENROLL_QUEUE = 2_000;

export function nodeServiceHandlers(deps: SessionDeps, sessions: SessionRegistry, log: Logger): NodeServiceHandlers {
  const enrollments = new Admission(ENROLL_CONCURRENCY, ENROLL_QUEUE, 'enrollments');
  return {
    Enroll: (call, callback) => {
      (async () => {
        const info = validateNodeInfo(call.request);
        // An agent this control plane would refuse at every hello is refused before its join token is spent.
        const refusal = agentProtocolRefusal(int('protocol_version', call.request.protocolVersion, 0, 0xffff_ffff));
        if (refusal) {
          log.warn({ nodeName: info.name, agentVersion: info.agentVersion, acceptedProtocols: describeAccepted() }, 'enrollment refused: the agent\'s node protocol is not accepted here');
          throw new ProtocolSkewError(refusal);
        }
        return enrollments.run(() => deps.nodes.enroll(String(call.request.joinToken ?? ''), info, String(call.request.csrPem ?? '')));
      })().then(
        (res) => callback(null, res),
        (err: unknown) => callback(toGrpcStatus(err, log) as grpc.ServiceError),
      );
    },
    Connect: (call) => {
      (async () => {
        // The node is the one its certificate names; nothing it sends can change that.
        const cert = peerNodeCertificate(call);
        const node = await deps.nodes.authenticate(cert);
        const session = new NodeSession(node.id, call, deps, cert.notAfterMs);
        sessions.add(session);
        try {
          await session.run();
        } finally {
          sessions.remove(session);
        }
      })().catch((err: unknown) => call.emit('error', toGrpcStatus(err, log)));
    },
  };
}
