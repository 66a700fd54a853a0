/** What a node says about itself, checked the same way by the agent (flags) and the control plane (RPCs). */
import { ValidationError } from './errors.js';
import { validateLabels } from './task-spec.js';

export const MAX_SLOTS = 1024;
const MAX_NODE_LABELS = 64;
const NAME_PATTERN = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,62}[A-Za-z0-9])?$/;

export interface NodeInfo {
  name: string;
  labels: Record<string, string>;
  slots: number;
  hostname: string;
  agentVersion: string;
}

/** Validates what an agent says about itself (enroll and hello). */
export function validateNodeInfo(input: Partial<NodeInfo>): NodeInfo {
  const name = input.name ?? '';
  if (!NAME_PATTERN.test(name)) throw new ValidationError('name', `"${name.slice(0, 64)}" is not a node name (letters, digits, ".", "-", "_"; at most 64)`);
  const slots = Number(input.slots ?? 0);
  if (!Number.isInteger(slots) || slots < 1 || slots > MAX_SLOTS) throw new ValidationError('slots', `must be between 1 and ${MAX_SLOTS}, got ${input.slots}`);
  return {
    name,
    labels: validateLabels('labels', input.labels, MAX_NODE_LABELS),
    slots,
    hostname: String(input.hostname ?? '').slice(0, 255),
    agentVersion: String(input.agentVersion ?? '').slice(0, 64),
  };
}
