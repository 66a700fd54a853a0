/** A rollout for unit tests: canary `localhost/agent:2` over `localhost/agent:1`, just started, nothing counted. */
import { emptyStats, type Rollout } from '../rollout.js';

export const BASELINE_IMAGE = 'localhost/agent:1';
export const CANARY_IMAGE = 'localhost/agent:2';

export function rolloutFixture(extra: Partial<Rollout> = {}): Rollout {
  return {
    id: 'rol_000000000000000000a',
    image: CANARY_IMAGE,
    baselineImage: BASELINE_IMAGE,
    steps: [10, 50, 100],
    stepIndex: 0,
    stepStartedAtMs: 0,
    stepIntervalMs: 60_000,
    minTasks: 10,
    maxFailureIncrease: 0.1,
    maxCostIncrease: 0.5,
    state: 'PROGRESSING',
    reason: '',
    createdAtMs: 0,
    updatedAtMs: 0,
    endedAtMs: 0,
    createdBy: 'admin',
    canary: emptyStats(),
    baseline: emptyStats(),
    history: [],
    ...extra,
  };
}
