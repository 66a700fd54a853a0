import test from 'ava';
import { ValidationError } from '../../common/errors.js';
import { compileTaskSpec } from '../../common/task-spec.js';
import { applyTaskDefaults, DEFAULT_TASK_DEFAULTS } from './task-defaults.js';

const plain = (extra: object = {}) => compileTaskSpec({ image: 'busybox', command: ['true'], ...extra });

test('a plain task without settings gets the operator\'s: no network, 2 GiB, 2 CPUs; its own settings win', (t) => {
  const spec = applyTaskDefaults(plain(), DEFAULT_TASK_DEFAULTS);
  t.is(spec.network, 'none');
  t.is(spec.resources.memoryBytes, 2 * 1024 ** 3);
  t.is(spec.resources.cpus, 2);
  t.is(spec.readOnlyRoot, undefined);
  t.is(spec.user, undefined);
  const own = applyTaskDefaults(plain({ network: 'bridge', resources: { memoryBytes: 64 * 1024 ** 2, cpus: 0.5 }, user: '1000:1000', readOnlyRoot: true }), DEFAULT_TASK_DEFAULTS);
  t.like(own, { network: 'bridge', resources: { memoryBytes: 64 * 1024 ** 2, cpus: 0.5 }, user: '1000:1000', readOnlyRoot: true });
});

test('the operator\'s read-only root and user hold against the submitter', (t) => {
  const strict = { ...DEFAULT_TASK_DEFAULTS, readOnlyRoot: true, user: '1000:1000' };
  t.like(applyTaskDefaults(plain(), strict), { readOnlyRoot: true, user: '1000:1000' });
  t.like(applyTaskDefaults(plain({ user: '1000:1000' }), strict), { user: '1000:1000' });
  t.throws(() => applyTaskDefaults(plain({ user: '0' }), strict), { instanceOf: ValidationError, message: "spec.user: plain tasks run as 1000:1000 on this fleet (the control plane's --task-user); leave it empty" });
});

test('no default limit when the operator sets 0; Cline tasks are left as they are', (t) => {
  const spec = applyTaskDefaults(plain(), { ...DEFAULT_TASK_DEFAULTS, memoryBytes: 0, cpus: 0, network: 'bridge' });
  t.like(spec, { network: 'bridge', resources: { memoryBytes: 0, cpus: 0 } });
  const cline = compileTaskSpec({ image: 'agent', cline: { repoUrl: 'https://git.example/r.git', prompt: 'p' } });
  t.is(applyTaskDefaults(cline, DEFAULT_TASK_DEFAULTS), cline);
});

test('the spec\'s own fields are checked, naming the field', (t) => {
  t.throws(() => plain({ network: 'host' }), { message: 'spec.network: must be "none" or "bridge", got "host"' });
  t.throws(() => plain({ user: 'root' }), { message: 'spec.user: must be a numeric UID or UID:GID (e.g. 1000:1000), got "root"' });
  t.throws(() => compileTaskSpec({ image: 'agent', network: 'bridge', cline: { repoUrl: 'https://git.example/r.git', prompt: 'p' } }), { message: /^spec\.network: is for plain tasks/ });
});
