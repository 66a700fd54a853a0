import test from 'ava';
import { engineFault } from './container-runtime.js';

test('engine errors are told apart by what they say about the engine', (t) => {
  // The engine is not there: stopped or restarting.
  t.is(engineFault({ code: 'ENOENT', message: 'connect ENOENT /var/run/docker.sock' }), 'unavailable');
  t.is(engineFault({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED /var/run/docker.sock' }), 'unavailable');
  t.is(engineFault({ code: 'ECONNRESET', message: 'socket hang up' }), 'unavailable');
  t.is(engineFault({ message: 'socket hang up' }), 'unavailable');
  // There, but failing (shutting down).
  t.is(engineFault({ statusCode: 500, message: '(HTTP code 500) server error - failed to update store for object type *libnetwork.endpoint' }), 'internal');
  // About the request, not the engine.
  t.is(engineFault({ statusCode: 404, message: 'no such image' }), null);
  t.is(engineFault({ statusCode: 409, message: 'Conflict. The container name is already in use' }), null);
  t.is(engineFault(new Error('something else')), null);
});
