/**
 * The role each FleetService method needs, whether it changes something
 * (and is therefore audited), and what it acts on. One table, typed against
 * the generated service: a new RPC does not compile until it has a line here.
 */
import type { FleetServiceHandlers } from '../../../proto/gen/fleet/v1/FleetService.js';
import type { Role } from './roles.js';

/** The service's method names (the generated interface also has an index signature: dropped). */
export type FleetMethod = keyof { [K in keyof FleetServiceHandlers as string extends K ? never : number extends K ? never : K]: true };

export interface MethodPolicy {
  role: Role;
  /** Changes state: audited before and after. */
  mutates: boolean;
  /** What a refusal says the caller cannot do. */
  what: string;
  /** What the call acts on, from its request (for the audit trail). */
  target?: (req: Record<string, unknown>) => string;
}

const field = (name: string) => (req: Record<string, unknown>) => String(req[name] ?? '').slice(0, 128);

export const FLEET_POLICY: Record<FleetMethod, MethodPolicy> = {
  GetTask: { role: 'viewer', mutates: false, what: 'read tasks' },
  ListTasks: { role: 'viewer', mutates: false, what: 'read tasks' },
  WatchTask: { role: 'viewer', mutates: false, what: 'read tasks' },
  GetTaskLogs: { role: 'viewer', mutates: false, what: 'read task logs' },
  GetTaskResult: { role: 'viewer', mutates: false, what: 'read task results' },
  ListNodes: { role: 'viewer', mutates: false, what: 'read nodes' },
  WatchNode: { role: 'viewer', mutates: false, what: 'read nodes' },
  GetClusterStatus: { role: 'viewer', mutates: false, what: 'read the cluster status' },
  ListProviders: { role: 'viewer', mutates: false, what: 'read providers' },
  ListForges: { role: 'viewer', mutates: false, what: 'read forges' },
  WhoAmI: { role: 'viewer', mutates: false, what: 'read its own token' },
  ListAutoscalePools: { role: 'viewer', mutates: false, what: 'read autoscale pools' },
  // A token scoped to a team sees its own team only (checked in the handlers).
  ListTeams: { role: 'viewer', mutates: false, what: 'read teams' },
  GetTeam: { role: 'viewer', mutates: false, what: 'read teams' },

  SubmitTask: { role: 'submitter', mutates: true, what: 'submit tasks' },
  CancelTask: { role: 'submitter', mutates: true, what: 'cancel tasks', target: field('taskId') },
  DeliverTask: { role: 'submitter', mutates: true, what: 'deliver task results again', target: field('taskId') },

  CordonNode: { role: 'operator', mutates: true, what: 'cordon nodes', target: field('node') },
  UncordonNode: { role: 'operator', mutates: true, what: 'uncordon nodes', target: field('node') },
  DrainNode: { role: 'operator', mutates: true, what: 'drain nodes', target: field('node') },
  RestartNode: { role: 'operator', mutates: true, what: 'restart node agents', target: field('node') },
  RevokeNode: { role: 'operator', mutates: true, what: 'revoke nodes', target: field('node') },
  UpdateNode: { role: 'operator', mutates: true, what: 'change nodes', target: field('node') },
  CreateJoinToken: { role: 'operator', mutates: true, what: 'create join tokens' },
  ListJoinTokens: { role: 'operator', mutates: false, what: 'read join tokens' },
  RevokeJoinToken: { role: 'operator', mutates: true, what: 'revoke join tokens', target: field('tokenId') },
  ListAudit: { role: 'operator', mutates: false, what: 'read the audit trail' },
  GetRollout: { role: 'viewer', mutates: false, what: 'read rollouts' },
  ListRollouts: { role: 'viewer', mutates: false, what: 'read rollouts' },
  // Pausing or aborting a rollout stops harm: an operator's act. Promoting and resuming need an admin (checked in the handler).
  ChangeRollout: { role: 'operator', mutates: true, what: 'pause or abort rollouts', target: field('action') },

  SetProvider: { role: 'admin', mutates: true, what: 'set providers', target: field('name') },
  DeleteProvider: { role: 'admin', mutates: true, what: 'delete providers', target: field('name') },
  SetForge: { role: 'admin', mutates: true, what: 'set forges', target: field('name') },
  // Shares, limits and budgets decide what every team gets.
  SetTeam: { role: 'admin', mutates: true, what: 'set teams', target: field('name') },
  DeleteForge: { role: 'admin', mutates: true, what: 'delete forges', target: field('name') },
  CreateAccessToken: { role: 'admin', mutates: true, what: 'create access tokens', target: field('name') },
  ListAccessTokens: { role: 'admin', mutates: false, what: 'read access tokens' },
  RevokeAccessToken: { role: 'admin', mutates: true, what: 'revoke access tokens', target: field('name') },
  RotateAccessToken: { role: 'admin', mutates: true, what: 'rotate access tokens', target: field('name') },
  // The fleet's Cline image runs every Cline task: changing it is an admin's act.
  StartRollout: { role: 'admin', mutates: true, what: 'start rollouts of the Cline image', target: field('image') },
  // A pool decides which machines an operator's hook adds and removes: as weighty as a provider.
  SetAutoscalePool: { role: 'admin', mutates: true, what: 'set autoscale pools', target: field('name') },
  DeleteAutoscalePool: { role: 'admin', mutates: true, what: 'delete autoscale pools', target: field('name') },
  // A backup holds every credential's hash and the sealed provider keys: audited although it changes nothing.
  CreateBackup: { role: 'admin', mutates: true, what: 'take backups' },
  RestoreBackup: { role: 'admin', mutates: true, what: 'restore backups' },
};
