/**
 * Images the control plane asks the node to hold before work needs them (a
 * rollout's canary, sent with heartbeat acks). The node pulls what it lacks
 * (with --image-pull missing; with never, it only looks), one image at a
 * time in the background, and says in each heartbeat which of them it holds:
 * the scheduler sends canary work only to a node that says so, so a slow
 * pull delays the canary on this node and fails nothing.
 */
import { errorMessage } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { normalizeImageRef } from '../../common/model.js';
import type { ContainerRuntime } from './container-runtime.js';

/** A failed pull is tried again after this long, not at every heartbeat. */
const RETRY_AFTER_MS = 30_000;

interface ImageState {
  held: boolean;
  /** A check or pull under way. */
  busy: boolean;
  checkedAtMs: number;
  failedAtMs: number;
}

export class Prefetcher {
  private readonly states = new Map<string, ImageState>();

  constructor(
    private readonly runtime: Pick<ContainerRuntime, 'ensureImage'>,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** What the control plane wants now: images no longer wanted are forgotten. */
  want(images: readonly string[]): void {
    const wanted = new Set(images);
    for (const image of this.states.keys()) if (!wanted.has(image)) this.states.delete(image);
    for (const image of wanted) if (!this.states.has(image)) this.states.set(image, { held: false, busy: false, checkedAtMs: 0, failedAtMs: 0 });
    this.refresh();
  }

  /**
   * Checks each wanted image again (an inspect when it is there: an
   * operator may have removed it), pulling what is missing; never waits.
   */
  refresh(): void {
    const now = this.now();
    for (const [image, state] of this.states) {
      if (state.busy || (state.failedAtMs > 0 && now - state.failedAtMs < RETRY_AFTER_MS)) continue;
      state.busy = true;
      const started = now;
      this.runtime.ensureImage(image).then(
        () => {
          if (!state.held) this.log.info({ image, ms: this.now() - started }, 'image fetched ahead');
          Object.assign(state, { held: true, busy: false, checkedAtMs: this.now(), failedAtMs: 0 });
        },
        (err: unknown) => {
          if (state.held || state.failedAtMs === 0) this.log.warn({ image, err: errorMessage(err) }, 'image asked for ahead is not on this node and could not be pulled; trying again later');
          Object.assign(state, { held: false, busy: false, checkedAtMs: this.now(), failedAtMs: this.now() });
        },
      );
    }
  }

  /** The wanted images this node holds, normalized, for the heartbeat. */
  held(): string[] {
    return [...this.states].filter(([, s]) => s.held).map(([image]) => normalizeImageRef(image));
  }
}
