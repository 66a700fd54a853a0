/**
 * Who may do what. Four roles, each able to do everything the one below it
 * can: a viewer reads; a submitter also submits and cancels tasks; an
 * operator also manages nodes, drains and join tokens and reads the audit
 * trail; an admin also manages providers, access tokens and labels (labels
 * decide which nodes receive a provider's key).
 *
 * A caller is a `Principal`: the name of the token it presented, its role
 * and, for a token scoped to a team, that team. A scoped caller is a viewer
 * or a submitter of its team's tasks only: other teams' tasks do not exist
 * for it (`sees` below; the handlers ask it of every task they touch).
 */
import { PermissionError, ValidationError } from '../../../common/errors.js';

export const ROLES = ['viewer', 'submitter', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  /** The access token's name: what the audit trail records as the actor. */
  name: string;
  role: Role;
  /** Set: the caller sees and acts on this team's tasks only. '' = every team. */
  team: string;
}

/** Roles a token scoped to a team may have: managing the fleet is not one team's act. */
export const TEAM_SCOPED_ROLES: readonly Role[] = ['viewer', 'submitter'];

/** How a role is stored for a token scoped to a team (see AccessTokenRecord.role): unknown to releases before teams, which then refuse the token. */
export type StoredRole = Role | 'team-viewer' | 'team-submitter';

export function storedRole(role: Role, team: string): StoredRole {
  if (!team) return role;
  if (role === 'viewer') return 'team-viewer';
  if (role === 'submitter') return 'team-submitter';
  throw new ValidationError('role', `a token scoped to a team is a viewer or a submitter of its tasks, not ${role}: leave out --team, or give --role ${TEAM_SCOPED_ROLES.join(' or ')}`);
}

/** A stored token's role and scope; null when they do not agree (a scoped role without its team, or the reverse). */
export function scopeOf(record: { role: StoredRole; team?: string }): { role: Role; team: string } | null {
  const team = record.team ?? '';
  const scoped = record.role === 'team-viewer' || record.role === 'team-submitter';
  if (scoped !== (team !== '')) return null;
  return { role: scoped ? (record.role.slice('team-'.length) as Role) : (record.role as Role), team };
}

/** Whether the caller may see a task of `team` ('' = a task of no team). */
export function sees(caller: Pick<Principal, 'team'>, team: string | undefined): boolean {
  return caller.team === '' || caller.team === (team ?? '');
}

export function roleAtLeast(have: Role, need: Role): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}

export function parseRole(field: string, value: unknown): Role {
  const role = ROLES.find((r) => r === value);
  if (!role) throw new ValidationError(field, `must be one of ${ROLES.join(', ')}, got "${String(value ?? '').slice(0, 32)}"`);
  return role;
}

/** PERMISSION_DENIED naming the caller's role and what it lacks. */
export function requireRole(caller: Principal, need: Role, what: string): void {
  if (roleAtLeast(caller.role, need)) return;
  throw new PermissionError(`access token "${caller.name}" has the role ${caller.role}, which cannot ${what} (that needs ${need} or above; an admin can create such a token: fleetctl access-token create NAME --role ${need})`);
}
