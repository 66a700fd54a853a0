import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import type { MethodDefinition } from '@grpc/proto-loader';
import { systemClock } from '../../common/clock.js';
import { createLogger } from '../../common/logger.js';
import type { Assignment } from '../../common/model.js';
import { protoDefinition } from '../../common/proto.js';
import { compileTaskSpec } from '../../common/task-spec.js';
import { encodeControlMessage } from '../../common/wire/index.js';
import type { ControlMessage__Output } from '../../proto/gen/fleet/v1/ControlMessage.js';
import { NodeAgent } from './agent.js';
import { Journal } from './journal.js';
import type { LlmGateway } from './llm-gateway.js';
import { Session } from './session.js';

/** An Assign as the node receives it: encoded by the control plane's code, through protobuf and back. */
function overTheWire(assign: Assignment): ControlMessage__Output {
  const connect = (protoDefinition() as unknown as Record<string, Record<string, MethodDefinition<object, object>>>)['fleet.v1.NodeService']!['Connect']!;
  return connect.responseDeserialize(connect.responseSerialize(encodeControlMessage({ kind: 'assign', assign }))) as ControlMessage__Output;
}

test('an Assign whose task or attempt id is not an id changes nothing on the node; one with good ids and a bad spec is given back', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-session-'));
  const journal = new Journal(join(dir, 'journal.sqlite'));
  t.teardown(() => {
    journal.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const attemptsDir = join(dir, 'attempts');
  mkdirSync(attemptsDir);
  const log = createLogger('test', 'silent');
  const agent = new NodeAgent(
    { nodeId: 'node_0000000000000000001', name: 'n1', labels: {}, slots: 1, hostname: 'h', agentVersion: '0.0.0' },
    // Neither is called: nothing here gets as far as a container.
    undefined as never,
    journal,
    systemClock,
    log,
    { gateway: undefined as unknown as LlmGateway, attemptsDir },
    { dataDir: dir, minFreeDiskBytes: 0 },
  );
  const session = new Session(['127.0.0.1:1'], undefined as never, agent, journal, log, () => {});
  const receive = (assign: Assignment) => (session as unknown as { onMessage(raw: ControlMessage__Output, endpoint: string): void }).onMessage(overTheWire(assign), 'test');
  const spec = compileTaskSpec({ image: 'busybox', command: ['true'] });
  const good = { taskId: 'task_0000000000000000001', attemptId: 'att_0000000000000000001' };

  for (const ids of [
    { ...good, attemptId: '../../../tmp/x' },
    { ...good, attemptId: 'att_1' },
    { ...good, taskId: '../task' },
  ]) {
    receive({ ...ids, spec, provider: null });
    receive({ ...ids, spec: { ...spec, image: '' }, provider: null });
  }
  t.deepEqual(journal.active(), [], 'nothing journaled');
  t.deepEqual(journal.pending(0, 10), [], 'nothing to report: the attempt cannot be named back');
  t.deepEqual(readdirSync(attemptsDir), [], 'no directory made');

  receive({ ...good, spec: { ...spec, image: '' }, provider: null });
  const [event] = journal.pending(0, 10);
  t.is(event?.attemptId, good.attemptId);
  t.regex(event?.kind === 'finished' ? event.outcome.error : '', /cannot read the task spec: spec\.image: is required/, 'an attempt it can name but not read is given back, as before');
});
