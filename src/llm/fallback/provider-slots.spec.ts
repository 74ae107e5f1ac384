import { ConcurrencyLimiter } from './provider-slots';

describe(ConcurrencyLimiter.name, () => {
  it('grants up to the limit, queues up to the queue size, sheds beyond', async () => {
    const limiter = new ConcurrencyLimiter(2, 1);
    const first = await limiter.acquire(1000);
    const second = await limiter.acquire(1000);
    expect(first && second).toBeTruthy();
    const queued = limiter.acquire(1000);
    expect(limiter.queued).toBe(1);
    await expect(limiter.acquire(1000)).resolves.toBeUndefined();

    first?.();
    const third = await queued;
    expect(third).toBeDefined();
    expect(limiter.inFlight).toBe(2);
    first?.(); // a second release of the same slot changes nothing
    expect(limiter.inFlight).toBe(2);
  });

  it('gives up a queued wait after maxWaitMs', async () => {
    jest.useFakeTimers();
    try {
      const limiter = new ConcurrencyLimiter(1, 5);
      await limiter.acquire(100);
      const waiting = limiter.acquire(100);
      jest.advanceTimersByTime(101);
      await expect(waiting).resolves.toBeUndefined();
      expect(limiter.queued).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });

  it('with no queue, sheds at once', async () => {
    const limiter = new ConcurrencyLimiter(1, 0);
    await limiter.acquire(1000);
    await expect(limiter.acquire(1000)).resolves.toBeUndefined();
  });
});
