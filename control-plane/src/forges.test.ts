import test from 'ava';
import { randomBytes } from 'node:crypto';
import { ValidationError } from '../../common/errors.js';
import { compileTaskSpec } from '../../common/task-spec.js';
import { compileForgeInput, forgeBinding, forgeToProto, isForgeRepository } from './forges.js';
import { SecretBox, SecretKeyError } from './secret-box.js';

const ok = { name: 'gh', type: 'github', baseUrl: 'https://api.github.com/', gitUrl: '', token: ' ghp_abc \n', insecureHttp: false };

test('a forge input is trimmed; GitHub\'s repositories are on github.com, others on the API\'s origin', (t) => {
  t.deepEqual(compileForgeInput(ok), { name: 'gh', type: 'github', apiUrl: 'https://api.github.com', gitUrl: 'https://github.com/', token: 'ghp_abc', insecureHttp: false });
  t.is(compileForgeInput({ ...ok, baseUrl: 'https://ghe.corp/api/v3' }).gitUrl, 'https://ghe.corp/');
  t.is(compileForgeInput({ ...ok, type: 'gitlab', baseUrl: 'https://gitlab.corp/api/v4' }).gitUrl, 'https://gitlab.corp/');
  t.is(compileForgeInput({ ...ok, type: 'gitea', baseUrl: 'https://gitea.corp/api/v1', gitUrl: 'https://gitea.corp/team' }).gitUrl, 'https://gitea.corp/team/');
});

test('each bad field is named', (t) => {
  const cases: Array<[Partial<typeof ok>, string]> = [
    [{ name: 'My Forge' }, 'name: forge names are lower-case letters, digits, "-" and "_" (at most 63)'],
    [{ type: 'bitbucket' }, 'type: must be one of github, gitlab, gitea, got "bitbucket"'],
    [{ baseUrl: 'nope' }, 'base_url: "nope" is not a URL (e.g. https://api.github.com)'],
    [{ baseUrl: 'http://forge.corp/api/v3' }, 'base_url: must be https:// (plain http:// only to a loopback host, or with --insecure-http, which sends the token in clear)'],
    [{ baseUrl: 'https://u:p@api.github.com' }, 'base_url: must not carry credentials: give the token with --forge-token-file'],
    [{ gitUrl: 'ssh://git@github.com/' }, 'git_url: must be an http:// or https:// URL'],
    [{ gitUrl: 'https://github.com/?x=1' }, 'git_url: must be a plain URL without query or fragment'],
    [{ token: '' }, 'token: is required: give it with --forge-token-file FILE (or - for standard input)'],
    [{ token: 'two words' }, 'token: must be one line of printable ASCII without spaces, at most 4096 characters'],
  ];
  for (const [change, message] of cases) t.throws(() => compileForgeInput({ ...ok, ...change }), { instanceOf: ValidationError, message });
});

test('the token goes only to repositories under the forge\'s prefix, by whole path segments', (t) => {
  const forge = { gitUrl: 'https://gitea.corp/team/' };
  t.true(isForgeRepository(forge, 'https://gitea.corp/team/app.git'));
  t.true(isForgeRepository({ gitUrl: 'https://github.com/' }, 'https://github.com/o/r'));
  t.false(isForgeRepository(forge, 'https://gitea.corp/teamx/app.git'), 'a longer segment is another owner');
  t.false(isForgeRepository(forge, 'https://gitea.corp/team/'), 'the prefix alone is no repository');
  t.false(isForgeRepository(forge, 'https://gitea.corp.evil/team/app.git'));
  t.false(isForgeRepository(forge, 'http://gitea.corp/team/app.git'), 'another scheme');
  t.false(isForgeRepository(forge, 'https://x:y@gitea.corp/team/app.git'), 'credentials in the URL');
  t.false(isForgeRepository(forge, 'git@gitea.corp:team/app.git'));
  // Only what every URL parser reads alike: Node and curl disagree on a backslash (curl would send the token to evil.example).
  const github = { gitUrl: 'https://github.com/acme/' };
  for (const tricky of [
    'https://github.com\\acme\\@evil.example/acme/x',
    'https://github.com/acme/%2e%2e/other/x',
    'https://github.com/acme/x/../../other/x',
    'https://GitHub.com/acme/x',
    'https://github.com:443/acme/x',
    'https://github.com/acme/x?y=1',
    'https://github.com/acme/@evil.example/x',
    'https://github.com/acme/x%2Fy',
    'https://gïthub.com/acme/x',
    'https://github.com./acme/x',
  ]) {
    t.false(isForgeRepository(github, tricky), tricky);
  }
  t.true(isForgeRepository(github, 'https://github.com/acme/x.git'));
});

test('the sealed token is bound to where it goes: a record pointed elsewhere does not open', (t) => {
  const box = new SecretBox(randomBytes(32));
  const input = compileForgeInput(ok);
  const sealed = box.seal(input.token, forgeBinding(input));
  t.is(box.open(sealed, forgeBinding(input)), 'ghp_abc');
  t.throws(() => box.open(sealed, forgeBinding({ ...input, gitUrl: 'https://evil.example/' })), { instanceOf: SecretKeyError });
  t.throws(() => box.open(sealed, forgeBinding({ ...input, apiUrl: 'https://evil.example/api' })), { instanceOf: SecretKeyError });
});

test('the API view never carries the token', (t) => {
  const view = forgeToProto({ name: 'gh', type: 'github', apiUrl: 'https://api.github.com', gitUrl: 'https://github.com/', sealedToken: 'v1:secret', createdAtMs: 1, updatedAtMs: 2 });
  t.deepEqual(view, { name: 'gh', type: 'github', baseUrl: 'https://api.github.com', gitUrl: 'https://github.com/', createdAtMs: 1, updatedAtMs: 2 });
});

test('a task\'s delivery: each bad field is named, and patch delivery takes no forge fields', (t) => {
  const cline = { repoUrl: 'https://github.com/o/r.git', prompt: 'p' };
  const spec = (extra: Record<string, unknown>) => compileTaskSpec({ cline: { ...cline, ...extra } });
  t.deepEqual(spec({ deliver: 'pr', forge: 'gh', branch: 'fix/thing-1', prTitle: 'Fix it' }).cline?.delivery, { mode: 'pr', forge: 'gh', branch: 'fix/thing-1', prTitle: 'Fix it' });
  t.is(spec({}).cline?.delivery, undefined);
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ deliver: 'email' }, 'spec.cline.deliver: must be "patch", "branch" or "pr", got "email"'],
    [{ deliver: 'pr' }, 'spec.cline.forge: is required with --deliver pr: the forge (fleetctl forge list) that receives it'],
    [{ forge: 'gh' }, 'spec.cline.forge: is for a delivered result: give --deliver branch or --deliver pr'],
    [{ deliver: 'branch', forge: 'gh', repoUrl: 'git@github.com:o/r.git' }, 'spec.cline.repo_url: must be a plain https:// URL of the forge\'s repository (https://HOST/OWNER/NAME.git: no credentials, query, escapes or backslashes) to deliver a branch'],
    [{ deliver: 'pr', forge: 'gh', repoUrl: 'https://github.com\\o\\@evil.example/o/r' }, 'spec.cline.repo_url: must be a plain https:// URL of the forge\'s repository (https://HOST/OWNER/NAME.git: no credentials, query, escapes or backslashes) to deliver a pull request'],
    [{ deliver: 'pr', forge: 'gh', prTitle: 'a\nb' }, 'spec.cline.pr_title: must be one line of at most 256 characters'],
    [{ deliver: 'branch', forge: 'gh', prTitle: 'x' }, 'spec.cline.pr_title: is for --deliver pr'],
  ];
  for (const [extra, message] of cases) t.throws(() => spec(extra), { instanceOf: ValidationError, message });
  for (const bad of ['HEAD', 'refs/heads/main', '-x', 'a..b', 'a//b', 'a/', 'a.lock', 'a/.b', 'a b', 'a~1', 'a^', 'a:b', 'x@{1}', 'a.', 'é']) {
    t.throws(() => spec({ deliver: 'branch', forge: 'gh', branch: bad }), { instanceOf: ValidationError, message: /^spec\.cline\.branch: / }, bad);
  }
});
