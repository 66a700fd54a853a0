import test from 'ava';
import { ValidationError } from '../../../common/errors.js';
import { ROLES, roleAtLeast, scopeOf, sees, storedRole, type Role } from './roles.js';

test('a token scoped to a team stores a role that releases before teams do not know, so they refuse it', (t) => {
  t.is(storedRole('submitter', 'alpha'), 'team-submitter');
  t.is(storedRole('viewer', 'alpha'), 'team-viewer');
  t.is(storedRole('admin', ''), 'admin');
  for (const role of ['operator', 'admin'] as Role[]) t.throws(() => storedRole(role, 'alpha'), { instanceOf: ValidationError, message: /role: a token scoped to a team is a viewer or a submitter/ });
  // What an older replica's check makes of the stored role: below every role it knows, so nothing is allowed.
  for (const need of ROLES) t.false(roleAtLeast(storedRole('submitter', 'alpha') as Role, need));
});

test('a stored token reads back as its role and scope; a role and team that disagree are no token at all', (t) => {
  t.deepEqual(scopeOf({ role: 'team-submitter', team: 'alpha' }), { role: 'submitter', team: 'alpha' });
  t.deepEqual(scopeOf({ role: 'operator' }), { role: 'operator', team: '' });
  t.is(scopeOf({ role: 'team-viewer' }), null, 'a scoped role without its team');
  t.is(scopeOf({ role: 'viewer', team: 'alpha' }), null, 'a team on an unscoped role (what an older replica would have read as unscoped)');
});

test('a scoped caller sees its own team\'s tasks only; an unscoped one sees all', (t) => {
  t.true(sees({ team: 'alpha' }, 'alpha'));
  t.false(sees({ team: 'alpha' }, 'beta'));
  t.false(sees({ team: 'alpha' }, undefined), 'a task of no team is not a team\'s');
  t.false(sees({ team: 'alpha' }, ''));
  t.true(sees({ team: '' }, 'beta'));
  t.true(sees({ team: '' }, undefined));
});
