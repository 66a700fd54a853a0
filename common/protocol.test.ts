import test from 'ava';
import { ACCEPTED_AGENT_PROTOCOLS, AGENT_PROTOCOL, agentProtocol, agentProtocolRefusal } from './protocol.js';

test('a control plane accepts agents of its own node protocol and the one before', (t) => {
  t.deepEqual(ACCEPTED_AGENT_PROTOCOLS, { oldest: AGENT_PROTOCOL - 1, newest: AGENT_PROTOCOL });
  t.is(agentProtocolRefusal(AGENT_PROTOCOL), null);
  t.is(agentProtocolRefusal(AGENT_PROTOCOL - 1), null);
});

test('an agent that says no version (older than the field) speaks protocol 1', (t) => {
  t.is(agentProtocol(0), 1);
  t.is(agentProtocol(5), 5);
  t.is(agentProtocolRefusal(0, { oldest: 1, newest: 2 }), null);
  t.regex(agentProtocolRefusal(0, { oldest: 2, newest: 3 }) ?? '', /speaks node protocol 1, too old/);
});

test('a refusal says which side to upgrade', (t) => {
  const accepted = { oldest: 4, newest: 5 };
  t.is(
    agentProtocolRefusal(3, accepted),
    'this node agent speaks node protocol 3, too old for the control plane (node protocol 5, accepting agents of 4 to 5): upgrade the node agent (installers/upgrade-node-agent.sh on the node)',
  );
  t.is(
    agentProtocolRefusal(6, accepted),
    'this node agent speaks node protocol 6, newer than the control plane (node protocol 5, accepting agents of 4 to 5): upgrade the control plane first (its replicas one at a time), then the agents',
  );
  t.regex(agentProtocolRefusal(2, { oldest: 3, newest: 3 }) ?? '', /accepting agents of 3\)/);
});
