/**
 * ListTasks pages, newest first: active states come from the replica's live
 * view, others from the bucket a page at a time; pages never repeat or skip
 * a task, and a bad page token is refused, naming the field.
 */
import * as grpc from '@grpc/grpc-js';
import anyTest, { type TestFn } from 'ava';
import { TestFleet } from './harness/fleet.js';
import { bearer, call, clients } from './harness/grpc.js';
import { TEST_IMAGE } from './harness/requirements.js';
import type { TaskState } from '../proto/gen/fleet/v1/TaskState.js';

const test = anyTest as TestFn<{ fleet: TestFleet; api: ReturnType<typeof clients>; submitted: string[]; cancelled: string[] }>;

interface Page {
  tasks: Array<{ id: string; state: string }>;
  nextPageToken: string;
}

test.before(async (t) => {
  const fleet = (t.context.fleet = await TestFleet.start({ agents: [] }));
  const api = (t.context.api = clients(fleet.server, fleet.caPem));
  t.context.submitted = [];
  // One at a time: ids sort by submission time.
  for (let i = 0; i < 25; i++) {
    const { err, res } = await call<{ id: string }>((cb) => api.fleet.SubmitTask({ spec: { image: TEST_IMAGE, command: ['true'] } }, bearer(fleet.adminToken), cb));
    if (err) throw err;
    t.context.submitted.push(res!.id);
  }
  t.context.cancelled = t.context.submitted.filter((_, i) => i % 5 === 0);
  for (const id of t.context.cancelled) {
    const { err } = await call((cb) => api.fleet.CancelTask({ taskId: id, reason: 'test' }, bearer(fleet.adminToken), cb));
    if (err) throw err;
  }
});

test.after.always(async (t) => {
  await t.context.fleet?.stop();
});

async function allPages(t: { context: { fleet: TestFleet; api: ReturnType<typeof clients> } }, states: TaskState[], limit: number): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let pageToken = '';
  let pages = 0;
  do {
    const { err, res } = await call<Page>((cb) => t.context.api.fleet.ListTasks({ states, limit, pageToken }, bearer(t.context.fleet.adminToken), cb));
    if (err) throw err;
    ids.push(...res!.tasks.map((x) => x.id));
    pageToken = res!.nextPageToken;
    pages++;
  } while (pageToken);
  return { ids, pages };
}

test('every task, a page at a time, newest first, none repeated or skipped', async (t) => {
  const { ids, pages } = await allPages(t, [], 10);
  t.deepEqual(ids, [...t.context.submitted].reverse());
  t.is(pages, 3);
});

test('active states are served from the live view, ended ones from the bucket, each paged', async (t) => {
  const pending = await allPages(t, ['TASK_STATE_PENDING'], 7);
  t.deepEqual(pending.ids, t.context.submitted.filter((id) => !t.context.cancelled.includes(id)).reverse());
  t.is(pending.pages, 3);
  const cancelled = await allPages(t, ['TASK_STATE_CANCELLED'], 2);
  t.deepEqual(cancelled.ids, [...t.context.cancelled].reverse());
});

test('a page token that is not a task id is refused, naming the field', async (t) => {
  const { err } = await call((cb) => t.context.api.fleet.ListTasks({ pageToken: '../x' }, bearer(t.context.fleet.adminToken), cb));
  t.is(err?.code, grpc.status.INVALID_ARGUMENT);
  t.regex(err?.details ?? '', /^page_token: /);
});

test('fleetctl task list says how to get the next page', async (t) => {
  const first = await t.context.fleet.fleetctl(['task', 'list', '--limit', '10']);
  t.is(first.code, 0, first.stderr);
  const hint = /more: (fleetctl task list --after (task_\w+) --limit 10)/.exec(first.stderr);
  t.truthy(hint, first.stderr);
  t.is(hint![2], t.context.submitted[15]);
  const second = await t.context.fleet.fleetctl(['task', 'list', '--limit', '10', '--after', hint![2]!, '-o', 'json']);
  t.deepEqual(JSON.parse(second.stdout).map((x: { id: string }) => x.id), t.context.submitted.slice(5, 15).reverse());
  const bad = await t.context.fleet.fleetctl(['task', 'list', '--after', 'nope']);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /--after: "nope" is not a task id/);
});
