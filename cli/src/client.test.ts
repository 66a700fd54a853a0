import * as grpc from '@grpc/grpc-js';
import test from 'ava';
import { replicaWentAway } from './client.js';

const status = (code: grpc.status, details: string) => Object.assign(new Error(details), { code, details, metadata: new grpc.Metadata() });

test('a stream whose replica went away is resumed; a refusal is not', (t) => {
  // What a replica stopping, restarting or dying looks like from fleetctl (grpc-js's own words).
  for (const gone of [
    status(grpc.status.UNAVAILABLE, 'replica 3b8ec8cf is stopping: resume on another replica'),
    status(grpc.status.UNAVAILABLE, 'Connection dropped'),
    status(grpc.status.UNAVAILABLE, 'No connection established. Last error: connect ECONNREFUSED 127.0.0.1:7700'),
    status(grpc.status.CANCELLED, 'Call cancelled'),
    status(grpc.status.INTERNAL, 'Received RST_STREAM with code 2 (Internal server error)'),
    status(grpc.status.INTERNAL, 'Received RST_STREAM with code 0 (Call ended without gRPC status)'),
    status(grpc.status.UNAVAILABLE, 'Stream refused by server'),
  ]) {
    t.true(replicaWentAway(gone), gone.details);
  }
  for (const refused of [
    status(grpc.status.NOT_FOUND, 'task task_0000000000000000000 not found'),
    status(grpc.status.PERMISSION_DENIED, 'token "ci" (viewer) cannot drain nodes'),
    status(grpc.status.INVALID_ARGUMENT, 'after_seq: 90 is past the end of the log stream'),
    status(grpc.status.UNAUTHENTICATED, 'invalid token'),
    status(grpc.status.INTERNAL, 'internal error (see the control plane log)'),
    // A certificate fleetctl does not trust is a setting to fix, not an outage to wait out.
    status(grpc.status.UNAVAILABLE, 'No connection established. Last error: self-signed certificate in certificate chain'),
  ]) {
    t.false(replicaWentAway(refused), refused.details);
  }
  t.false(replicaWentAway(new Error('not a gRPC error')));
});
