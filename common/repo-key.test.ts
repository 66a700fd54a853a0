import test from 'ava';
import { normalizeRepoUrl, REPO_KEY_PATTERN, repoKey } from './repo-key.js';

test('spellings of one repository share a key', (t) => {
  const key = repoKey('https://git.example.com/team/app.git');
  for (const url of [
    'https://git.example.com/team/app',
    'https://git.example.com/team/app/',
    'https://git.example.com/team/app.git/',
    'HTTPS://Git.Example.COM/team/app.git',
    'https://user:ghp_secret@git.example.com/team/app.git',
    'https://x-access-token@git.example.com/team/app',
    '  https://git.example.com/team/app.git  ',
  ]) {
    t.is(repoKey(url), key, url);
  }
});

test('different repositories, ports, schemes and path cases get different keys', (t) => {
  const keys = new Set(
    [
      'https://git.example.com/team/app',
      'https://git.example.com/team/App',
      'https://git.example.com:8443/team/app',
      'http://git.example.com/team/app',
      'https://git.example.com/team/other',
      'ssh://git@git.example.com/team/app',
    ].map(repoKey),
  );
  t.is(keys.size, 6);
});

test('the key is 24 hex digits and never holds the credentials', (t) => {
  const url = 'https://user:supersecret@git.example.com/team/app.git';
  const key = repoKey(url);
  t.regex(key, REPO_KEY_PATTERN);
  t.false(normalizeRepoUrl(url).includes('supersecret'));
  t.false(normalizeRepoUrl(url).includes('user'));
});

test('scp-like and file URLs normalize', (t) => {
  t.is(normalizeRepoUrl('git@GitHub.com:Team/App.git'), 'github.com:Team/App');
  t.is(repoKey('git@github.com:team/app.git'), repoKey('github.com:team/app'));
  t.is(normalizeRepoUrl('file:///srv/repos/app.git/'), 'file:///srv/repos/app');
  t.is(normalizeRepoUrl('ssh://git@host:2222/a/b.git'), 'ssh://host:2222/a/b');
});
