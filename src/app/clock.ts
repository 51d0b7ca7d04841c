/** The one source of "now". Read it once per operation and pass the instant down. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
