import { KeyRing } from './key-ring';
import { anthropicQuota, openAiQuota } from './rate-limit-headers';

describe('KeyRing', () => {
  let now = 1_000_000;
  const clock = () => now;
  beforeEach(() => (now = 1_000_000));

  it('a 429 cools one key for its Retry-After; the others carry on; it comes back after', () => {
    const ring = new KeyRing(['a', 'b'], clock);
    expect(ring.pick()).toBe('a');
    ring.limited('a', 30_000);
    expect([ring.pick(), ring.pick(), ring.hasReady()]).toEqual(['b', 'b', true]);
    ring.limited('b', 10_000);
    expect([ring.hasReady(), ring.readyInMs()]).toEqual([false, 10_000]);
    now += 10_000;
    expect(ring.pick()).toBe('b');
    now += 20_000;
    expect(ring.status().map((key) => key.state)).toEqual(['ready', 'ready']);
    // Even Retry-After: 0 rests a key a second: no tight loop on one key.
    ring.limited('a', 0);
    expect(ring.status()[0]).toMatchObject({ state: 'cooling' });
  });

  it('a rejected key is disabled (named, with why) while the other works; an exhausted quota holds a key until its reset', () => {
    const ring = new KeyRing(['a', 'b'], clock);
    ring.rejected('a', 'rejected (401)');
    expect(ring.status()[0]).toMatchObject({
      name: 'a',
      state: 'disabled',
      reason: 'rejected (401)',
    });
    expect(ring.pick()).toBe('b');
    ring.observe('b', { remaining: 0, resetMs: 60_000 });
    expect(ring.hasReady()).toBe(false);
    now += 60_000;
    expect(ring.pick()).toBe('b');
  });

  it('one key keeps the route-level behaviour: 429s and rejections are not held against it, an empty quota is', () => {
    const ring = new KeyRing(['only'], clock);
    ring.limited('only', 30_000);
    ring.rejected('only', 'rejected (401)');
    expect(ring.pick()).toBe('only');
    ring.observe('only', { remaining: 0, resetMs: 5_000 });
    expect([ring.hasReady(), ring.readyInMs()]).toEqual([false, 5_000]);
  });

  it('chooses by headroom without affinity, and sticks to one key per affinity while it is usable', () => {
    const ring = new KeyRing(['a', 'b', 'c'], clock);
    ring.observe('a', { remaining: 5 });
    ring.observe('b', { remaining: 50 });
    ring.observe('c', { remaining: 20 });
    expect(ring.pick()).toBe('b');
    const chosen = ring.pick('learner-42');
    for (let i = 0; i < 5; i += 1) expect(ring.pick('learner-42')).toBe(chosen);
    // Different affinities spread over the keys.
    const spread = new Set(Array.from({ length: 30 }, (_, i) => ring.pick(`learner-${i}`)));
    expect(spread.size).toBe(3);
    // The affinity's key cools: another takes over, and the affinity returns when it is back.
    ring.limited(chosen!, 2_000);
    expect(ring.pick('learner-42')).not.toBe(chosen);
    now += 2_000;
    expect(ring.pick('learner-42')).toBe(chosen);
  });
});

describe('Rate-limit headers', () => {
  it("OpenAI's remaining and reset durations; the scarcer window wins", () => {
    const headers = new Headers({
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-reset-requests': '1m30.5s',
      'x-ratelimit-remaining-tokens': '4000',
      'x-ratelimit-reset-tokens': '20ms',
    });
    expect(openAiQuota(headers)).toEqual({ remaining: 0, resetMs: 90_500 });
    expect(
      openAiQuota(
        new Headers({
          'x-ratelimit-remaining-requests': '7',
          'x-ratelimit-remaining-tokens': '90',
        }),
      ),
    ).toEqual({ remaining: 7 });
    expect(openAiQuota(new Headers())).toBeUndefined();
    expect(openAiQuota(new Headers({ 'x-ratelimit-remaining-requests': 'lots' }))).toBeUndefined();
  });

  it("Anthropic's remaining counts and RFC 3339 reset instants", () => {
    const now = Date.parse('2026-12-06T10:00:00Z');
    const headers = new Headers({
      'anthropic-ratelimit-requests-remaining': '12',
      'anthropic-ratelimit-tokens-remaining': '0',
      'anthropic-ratelimit-tokens-reset': '2026-12-06T10:00:42Z',
    });
    expect(anthropicQuota(headers, now)).toEqual({ remaining: 0, resetMs: 42_000 });
  });
});
