/** Time comes from here so that decisions can be tested at any instant. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
