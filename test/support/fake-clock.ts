import { Clock } from '../../src/common/clock';

/**
 * A clock for unit tests: time moves only when the code sleeps (or the test calls `advance`), sleeps resolve at
 * once and are recorded, and randomness is fixed. Nothing waits for real time.
 */
export class FakeClock implements Clock {
  readonly sleeps: number[] = [];
  private elapsedMs = 0;

  constructor(
    private readonly epochMs = Date.UTC(2026, 0, 1),
    private readonly randomValue = 0.5,
  ) {}

  now(): number {
    return this.elapsedMs;
  }

  date(): Date {
    return new Date(this.epochMs + this.elapsedMs);
  }

  advance(ms: number): void {
    this.elapsedMs += ms;
  }

  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw signal.reason;
    this.sleeps.push(ms);
    this.advance(ms);
  }

  random(): number {
    return this.randomValue;
  }
}
