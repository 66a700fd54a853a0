/** What a node says about itself, checked the same way by the agent (flags) and the control plane (RPCs). */
import { ValidationError } from './errors.js';
import type { NodeInfo } from './model.js';
import { validateLabels } from './task-spec.js';
import { str, stringMap, text } from './wire/fields.js';

export const MAX_SLOTS = 1024;
export const MAX_NODE_LABELS = 64;
const NAME_PATTERN = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,62}[A-Za-z0-9])?$/;

/** Validates what an agent says about itself (enroll and hello). */
export function validateNodeInfo(input: { [K in keyof NodeInfo]?: unknown }): NodeInfo {
  const name = str('name', input.name, 64);
  if (!NAME_PATTERN.test(name)) throw new ValidationError('name', `"${name.slice(0, 64)}" is not a node name (letters, digits, ".", "-", "_"; at most 64)`);
  const slots = Number(input.slots ?? 0);
  if (!Number.isInteger(slots) || slots < 1 || slots > MAX_SLOTS) throw new ValidationError('slots', `must be between 1 and ${MAX_SLOTS}, got ${input.slots}`);
  return {
    name,
    labels: validateLabels('labels', stringMap('labels', input.labels), MAX_NODE_LABELS),
    slots,
    hostname: text('hostname', input.hostname, 255),
    agentVersion: text('agent_version', input.agentVersion, 64),
  };
}
