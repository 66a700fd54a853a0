import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import test from 'ava';
import { DockerRuntime, EngineAgent, engineFault } from './container-runtime.js';

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

test("an engine call's options print short however many connections the agent holds (docker-modem formats them on every call)", async (t) => {
  // Connections held open, as an engine's event and log streams are.
  const held: http.ServerResponse[] = [];
  const server = http.createServer((_req, res) => {
    res.writeHead(200);
    res.write('.');
    held.push(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const open = (agent: http.Agent) =>
    Promise.all(Array.from({ length: 20 }, () => new Promise<void>((resolve) => http.get({ host: '127.0.0.1', port, agent }, () => resolve()))));
  const engine = new EngineAgent({ keepAlive: false });
  const plain = new http.Agent({ keepAlive: false });
  try {
    await open(engine);
    await open(plain);
    // What docker-modem 5.0.7 does in buildRequest, debug log on or off.
    const printed = (agent: http.Agent) => inspect({ path: '/containers/json', method: 'GET', agent }, { showHidden: true, depth: null }).length;
    t.true(printed(engine) < 200, `${printed(engine)} characters`);
    t.true(printed(plain) > 100_000, `a plain agent in the same state prints ${printed(plain)} characters`);
    t.log(`with 20 connections open: ${printed(engine)} characters, against ${printed(plain)} for a plain agent`);
    t.true((new DockerRuntime().docker.modem as unknown as { agent: unknown }).agent instanceof EngineAgent, 'the runtime calls the engine through it');
  } finally {
    for (const res of held) res.end();
    engine.destroy();
    plain.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
});
