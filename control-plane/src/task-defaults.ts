/**
 * What a plain task gets when its submitter did not say, set by the
 * operator: a network (none by default: no LAN, no NATS, no control plane
 * port, no cloud metadata service), memory and CPU limits (a noisy task
 * cannot starve its neighbours or the agent), and optionally a read-only
 * root file system and a non-root user for every plain task. The values are
 * written into the stored spec, so the node applies explicit settings and
 * `task get` shows what the task ran with. Cline tasks have their own
 * (`spec.cline.network`, the agent image's user).
 */
import { ValidationError } from '../../common/errors.js';
import type { AgentNetwork, TaskSpec } from '../../common/model.js';

export interface TaskDefaults {
  network: AgentNetwork;
  /** 0: no default limit. */
  memoryBytes: number;
  /** 0: no default limit. */
  cpus: number;
  /** Every plain task gets a read-only root (a submitter cannot turn it off). */
  readOnlyRoot: boolean;
  /** "UID[:GID]" every plain task runs as ("" : the image's user). */
  user: string;
}

export const DEFAULT_TASK_DEFAULTS: TaskDefaults = { network: 'none', memoryBytes: 2 * 1024 ** 3, cpus: 2, readOnlyRoot: false, user: '' };

export function applyTaskDefaults(spec: TaskSpec, defaults: TaskDefaults): TaskSpec {
  if (spec.cline) return spec;
  // The operator's user holds: a submitter may not pick another (root above all).
  if (defaults.user && spec.user && spec.user !== defaults.user) {
    throw new ValidationError('spec.user', `plain tasks run as ${defaults.user} on this fleet (the control plane's --task-user); leave it empty`);
  }
  const user = spec.user || defaults.user;
  return {
    ...spec,
    network: spec.network ?? defaults.network,
    resources: {
      ...spec.resources,
      memoryBytes: spec.resources.memoryBytes || defaults.memoryBytes,
      cpus: spec.resources.cpus || defaults.cpus,
    },
    ...(spec.readOnlyRoot || defaults.readOnlyRoot ? { readOnlyRoot: true } : {}),
    ...(user ? { user } : {}),
  };
}
