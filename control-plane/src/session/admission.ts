/**
 * Bounded concurrency for the costly steps of a node's arrival (enrollment
 * signs a certificate; a hello writes the node record). After a replica
 * restarts, thousands of agents arrive within seconds: they are served a
 * bounded number at a time, the rest wait in order, and past a bounded
 * queue they are told to come back (UNAVAILABLE), which agents do with
 * jittered backoff. Nothing is dropped silently and nothing piles up
 * without limit.
 */
import { UnavailableError } from '../../../common/errors.js';

export class Admission {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly concurrency: number,
    private readonly maxWaiting: number,
    /** What is admitted, for the refusal: "node hellos". */
    private readonly what: string,
  ) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.maxWaiting) {
        throw new UnavailableError(`the control plane is busy with ${this.running + this.waiting.length} ${this.what}: try again shortly (agents retry by themselves)`);
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await work();
    } finally {
      // The slot passes straight to the next in line, if any.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
