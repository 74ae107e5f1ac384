import { ProviderName } from '../routes';

/** Releases a slot taken from a ConcurrencyLimiter; calling it twice is harmless. */
export type Release = () => void;

interface Waiter {
  grant: (release: Release | undefined) => void;
  timer: NodeJS.Timeout;
}

/**
 * At most `limit` calls in flight, with a short bounded queue behind them. When the queue is full, or a queued call
 * waits longer than it may, `acquire` answers `undefined` at once instead of piling requests up until their deadline.
 */
export class ConcurrencyLimiter {
  private active = 0;
  private readonly waiters: Waiter[] = [];

  constructor(
    readonly limit: number,
    readonly queueSize: number,
  ) {}

  get inFlight(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiters.length;
  }

  acquire(maxWaitMs: number): Promise<Release | undefined> {
    if (this.active < this.limit) return Promise.resolve(this.take());
    if (this.waiters.length >= this.queueSize || maxWaitMs <= 0) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        grant: resolve,
        timer: setTimeout(() => {
          const position = this.waiters.indexOf(waiter);
          if (position >= 0) this.waiters.splice(position, 1);
          resolve(undefined);
        }, maxWaitMs),
      };
      this.waiters.push(waiter);
    });
  }

  private take(): Release {
    this.active += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active -= 1;
      const next = this.waiters.shift();
      if (next) {
        clearTimeout(next.timer);
        next.grant(this.take());
      }
    };
  }
}

/** One concurrency limiter per provider: the load-shedding slots every call takes before it goes out. */
export class ProviderSlots {
  private readonly limiters = new Map<ProviderName, ConcurrencyLimiter>();

  constructor(providers: readonly ProviderName[], limit: number, queueSize: number) {
    for (const provider of providers)
      this.limiters.set(provider, new ConcurrencyLimiter(limit, queueSize));
  }

  /** A slot for `provider`, waiting at most `maxWaitMs`; undefined when the provider is full. */
  acquire(provider: ProviderName, maxWaitMs: number): Promise<Release | undefined> {
    const limiter = this.limiters.get(provider);
    return limiter ? limiter.acquire(maxWaitMs) : Promise.resolve(() => undefined);
  }
}
