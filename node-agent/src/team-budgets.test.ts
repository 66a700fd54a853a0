/**
 * Teams' budgets on the node: the gateway counts each call of a team's
 * attempt for its team and refuses calls once the control plane says the
 * team's budget is spent; reports go one at a time and are sent again when
 * not counted or when the session broke before the answer.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { pino } from 'pino';
import type { TeamSpendReport } from '../../common/model.js';
import { FakeLlm, runCommands, transcript } from '../../test/harness/fake-llm.js';
import { LlmGateway, newGatewayToken, type GatewayStopReason } from './llm-gateway.js';
import { REPORT_AFTER_MS, TeamBudgets } from './team-budgets.js';

const log = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function call(socketPath: string, token: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, path: '/v1/chat/completions', method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(JSON.stringify({ model: 'x', stream: true, messages: [{ role: 'user', content: 'hi' }] }));
  });
}

test('calls of a team\'s attempts are reported for the team, summed; a team whose budget is spent gets its next call refused and its attempt stopped', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-team-'));
  const turn = { tools: [runCommands('ls')], usage: { prompt: 100, completion: 20, cost: 0.01 } };
  const fake = await new FakeLlm('sk-key', transcript([turn, turn, turn, turn])).start();
  const budgets = new TeamBudgets(log);
  const sent: TeamSpendReport[] = [];
  budgets.connect((report) => {
    sent.push(report);
    return true;
  });
  const gateway = new LlmGateway(log, { teams: budgets });
  const stops: Array<{ attemptId: string; reason: GatewayStopReason; message: string }> = [];
  const open = (attemptId: string, team: string) =>
    gateway.open({
      attemptId,
      taskId: `task_${attemptId.slice(4).padStart(19, '0')}`,
      socketPath: join(dir, `${attemptId}.sock`),
      token: newGatewayToken(),
      provider: { name: 'fake', baseUrl: fake.url, model: 'm', apiKey: fake.apiKey },
      budget: { maxTokens: 0, maxCostUsd: 0 },
      team,
      usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
      onUsage: () => {},
      onStop: (reason, message) => stops.push({ attemptId, reason, message }),
    });
  t.teardown(async () => {
    budgets.stop();
    await gateway.closeAll();
    await fake.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const a1 = await open('att_0000000000000000001', 'alpha');
  const a2 = await open('att_0000000000000000002', 'alpha');
  const none = await open('att_0000000000000000003', '');
  t.is((await call(a1.socketPath, a1.token)).status, 200);
  t.is((await call(a2.socketPath, a2.token)).status, 200);
  t.is((await call(none.socketPath, none.token)).status, 200);
  await sleep(REPORT_AFTER_MS + 300);
  // One report: each attempt of alpha with its task (the control plane takes the team from it); the attempt of no team is no team's.
  t.is(sent.length, 1);
  t.deepEqual(sent[0]!.entries.sort((a, b) => a.attemptId.localeCompare(b.attemptId)), [
    { taskId: 'task_0000000000000000001', attemptId: 'att_0000000000000000001', tokens: 120, costUsd: 0.01 },
    { taskId: 'task_0000000000000000002', attemptId: 'att_0000000000000000002', tokens: 120, costUsd: 0.01 },
  ]);
  budgets.answered(sent[0]!.reportId, []);

  budgets.told({ alpha: 'team "alpha" has spent its daily token budget (240 of 200 tokens on 2026-11-29 UTC)' });
  const refused = await call(a1.socketPath, a1.token);
  t.is(refused.status, 429);
  t.regex(refused.text, /budget_exceeded/);
  t.regex(refused.text, /team \\"alpha\\" has spent its daily token budget/);
  t.deepEqual(stops.map((s) => [s.attemptId, s.reason]), [['att_0000000000000000001', 'budget_exceeded']]);
  t.is((await call(none.socketPath, none.token)).status, 200, 'others call on');
  t.is(fake.requests.length, 4, 'the refused call never reached the provider');
  // The day turns: the control plane says nothing is spent.
  budgets.told({});
  t.is(budgets.spent('alpha'), null);
});

test('a report not counted, or cut off by a broken session, is sent again; one acknowledged is not', async (t) => {
  const budgets = new TeamBudgets(log);
  t.teardown(() => budgets.stop());
  const sent: TeamSpendReport[] = [];
  let open = true;
  budgets.connect((report) => {
    if (!open) return false;
    sent.push(report);
    return true;
  });
  const a = { team: 'alpha', taskId: 'task_0000000000000000001', attemptId: 'att_0000000000000000001' };
  const b = { team: 'beta', taskId: 'task_0000000000000000002', attemptId: 'att_0000000000000000002' };
  const byAttempt = (r: TeamSpendReport) => [...r.entries].sort((x, y) => x.attemptId.localeCompare(y.attemptId));
  budgets.used(a, 100, 0.5);
  budgets.used(b, 7, 0);
  budgets.used({ ...b, team: '' }, 1_000, 0);
  await sleep(REPORT_AFTER_MS + 200);
  t.is(sent.length, 1);
  t.deepEqual(byAttempt(sent[0]!), [{ taskId: a.taskId, attemptId: a.attemptId, tokens: 100, costUsd: 0.5 }, { taskId: b.taskId, attemptId: b.attemptId, tokens: 7, costUsd: 0 }], 'an attempt of no team is not reported');
  // Calls go on while the report is out: they wait for the next one. The control plane counted b's, not a's.
  budgets.used(a, 10, 0);
  budgets.answered(sent[0]!.reportId, [a.attemptId]);
  await sleep(REPORT_AFTER_MS + 200);
  t.is(sent.length, 2);
  t.deepEqual(byAttempt(sent[1]!), [{ taskId: a.taskId, attemptId: a.attemptId, tokens: 110, costUsd: 0.5 }], 'only what was not counted goes again, with what came since');
  // The session breaks before the answer: on the next one the same spend goes again.
  budgets.disconnect();
  open = false;
  budgets.answered(sent[1]!.reportId, []);
  budgets.connect((report) => {
    sent.push(report);
    return true;
  });
  await sleep(REPORT_AFTER_MS + 200);
  t.is(sent.length, 3);
  t.deepEqual(byAttempt(sent[2]!), byAttempt(sent[1]!));
  t.not(sent[2]!.reportId, sent[1]!.reportId);
  budgets.answered(sent[2]!.reportId, []);
  await sleep(REPORT_AFTER_MS + 200);
  t.is(sent.length, 3, 'nothing left to report');
  // An answer to a report long given up on changes nothing.
  budgets.answered(sent[1]!.reportId, [a.attemptId]);
  await sleep(REPORT_AFTER_MS + 200);
  t.is(sent.length, 3);
});
