/** NodeService: enrollment and the nodes' sessions. */
import type * as grpc from '@grpc/grpc-js';
import type { Logger } from '../../../common/logger.js';
import type { NodeServiceHandlers } from '../../../proto/gen/fleet/v1/NodeService.js';
import { bearerToken } from '../credentials.js';
import { toGrpcStatus } from '../grpc-status.js';
import { NodeSession, SessionRegistry, type SessionDeps } from './node-session.js';
import { validateNodeInfo } from '../../../common/node-info.js';

export function nodeServiceHandlers(deps: SessionDeps, sessions: SessionRegistry, log: Logger): NodeServiceHandlers {
  return {
    Enroll: (call, callback) => {
      (async () => {
        const info = validateNodeInfo(call.request);
        return deps.nodes.enroll(String(call.request.joinToken ?? ''), info);
      })().then(
        (res) => callback(null, res),
        (err: unknown) => callback(toGrpcStatus(err, log) as grpc.ServiceError),
      );
    },
    Connect: (call) => {
      (async () => {
        const nodeId = await deps.nodes.authenticate(bearerToken(call.metadata.get('authorization')[0]));
        const session = new NodeSession(nodeId, call, deps);
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
