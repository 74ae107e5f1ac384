import { setTimeout as delay } from 'node:timers/promises';

/**
 * Time as the LLM layer sees it: a monotonic clock for deadlines, wall-clock dates for status, sleeps for backoff
 * and randomness for jitter. Production uses the system's; unit tests hand in a fake one and never wait.
 */
export interface Clock {
  /** Monotonic milliseconds (performance.now), for durations and deadlines. */
  now(): number;
  /** The wall-clock time, for "since" fields. */
  date(): Date;
  /** Resolves after `ms`; rejects (with the signal's reason) when `signal` aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** A number in [0, 1), for jitter. */
  random(): number;
}

export const SYSTEM_CLOCK: Clock = {
  now: () => performance.now(),
  date: () => new Date(),
  sleep: (ms, signal) => delay(ms, undefined, { signal }),
  random: () => Math.random(),
};

/** Injection token of the clock the service's own classes read (SYSTEM_CLOCK unless a test provides another). */
export const CLOCK = Symbol('CLOCK');
