import { FakeClock } from '../../test/support/fake-clock';
import { FixedWindowThrottlerStorage } from './fixed-window-throttler.storage';

const MINUTE = 60_000;

describe('FixedWindowThrottlerStorage', () => {
  let clock: FakeClock;
  let storage: FixedWindowThrottlerStorage;
  const hit = (key = 'client-a', limit = 3) =>
    storage.increment(key, MINUTE, limit, MINUTE, 'default');

  beforeEach(() => {
    clock = new FakeClock();
    storage = new FixedWindowThrottlerStorage(clock);
  });

  it('counts hits in a window and blocks the one past the limit until the window resets (its Retry-After)', async () => {
    for (let n = 1; n <= 3; n += 1) {
      expect(await hit()).toMatchObject({ totalHits: n, isBlocked: false, timeToBlockExpire: 0 });
    }
    clock.advance(10_000);
    // The window started at 0 s and resets at 60 s: 50 s to wait, not the whole minute.
    expect(await hit()).toMatchObject({ totalHits: 4, isBlocked: true, timeToBlockExpire: 50 });
    clock.advance(30_000);
    expect(await hit()).toMatchObject({ isBlocked: true, timeToBlockExpire: 20 });
    clock.advance(20_000);
    expect(await hit()).toMatchObject({ totalHits: 1, isBlocked: false });
  });

  it('starts a new window once the old one ends, and the block ends with it', async () => {
    for (let n = 0; n < 4; n += 1) await hit(); // blocked at 0 s, until 60 s
    clock.advance(MINUTE - 1);
    expect(await hit()).toMatchObject({ isBlocked: true });
    clock.advance(1); // the window and the block both end
    expect(await hit()).toMatchObject({ totalHits: 1, isBlocked: false, timeToExpire: 60 });
  });

  it('keeps keys apart', async () => {
    for (let n = 0; n < 4; n += 1) await hit('client-a');
    expect(await hit('client-b')).toMatchObject({ totalHits: 1, isBlocked: false });
  });

  it('drops the windows of keys that went quiet', async () => {
    await hit('client-a');
    await hit('client-b');
    expect(storage.size).toBe(2);
    clock.advance(MINUTE);
    await hit('client-c');
    expect(storage.size).toBe(1);
  });
});
