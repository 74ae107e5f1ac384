import { FAILURE_KINDS, FailureKind } from '../llm.errors';
import {
  BACKOFF_MAX_MS,
  BACKOFF_MIN_MS,
  decideAfterFailure,
  failureEffects,
  PolicyContext,
} from './failure-policy';

const fresh: PolicyContext = {
  retriesOnRoute: 0,
  remainingMs: 60_000,
  minAttemptMs: 1_000,
  random: () => 0.5,
};

describe(decideAfterFailure.name, () => {
  it.each<FailureKind>([
    'overloaded',
    'timeout',
    'bad_request',
    'context_length',
    'content_blocked',
    'truncated',
    'invalid_output',
  ])('%s: next route at once, never the same route again', (kind) => {
    expect(decideAfterFailure({ kind }, fresh)).toMatchObject({
      action: 'next_route',
      disableRoute: false,
    });
  });

  it('bad key: next route and disable it', () => {
    expect(decideAfterFailure({ kind: 'auth', status: 401 }, fresh)).toMatchObject({
      action: 'next_route',
      disableRoute: true,
    });
  });

  it.each<FailureKind>(['server_error', 'network'])(
    '%s: one retry after a jittered backoff, then next route',
    (kind) => {
      const first = decideAfterFailure({ kind }, fresh);
      expect(first.action).toBe('retry_same_route');
      const delay = (first as { delayMs: number }).delayMs;
      expect(delay).toBeGreaterThanOrEqual(BACKOFF_MIN_MS);
      expect(delay).toBeLessThanOrEqual(BACKOFF_MAX_MS);
      expect(decideAfterFailure({ kind }, { ...fresh, random: () => 0 })).toMatchObject({
        delayMs: BACKOFF_MIN_MS,
      });
      expect(decideAfterFailure({ kind }, { ...fresh, retriesOnRoute: 1 }).action).toBe(
        'next_route',
      );
    },
  );

  it('5xx: no retry when the backoff and an attempt no longer fit the deadline', () => {
    expect(
      decideAfterFailure({ kind: 'server_error' }, { ...fresh, remainingMs: 1_100 }).action,
    ).toBe('next_route');
  });

  describe('rate limited', () => {
    it('waits a short Retry-After that fits the deadline, once', () => {
      expect(decideAfterFailure({ kind: 'rate_limited', retryAfterMs: 2_000 }, fresh)).toEqual({
        action: 'retry_same_route',
        delayMs: 2_000,
        why: 'waiting out Retry-After',
      });
      expect(
        decideAfterFailure(
          { kind: 'rate_limited', retryAfterMs: 2_000 },
          { ...fresh, retriesOnRoute: 1 },
        ).action,
      ).toBe('next_route');
    });

    it.each([
      ['no Retry-After', undefined, 60_000],
      ['Retry-After over 10 s', 10_001, 60_000],
      ['Retry-After that does not fit the deadline', 5_000, 5_500],
    ])('moves on with %s', (_name, retryAfterMs, remainingMs) => {
      expect(
        decideAfterFailure({ kind: 'rate_limited', retryAfterMs }, { ...fresh, remainingMs })
          .action,
      ).toBe('next_route');
    });

    it('accepts exactly 10 s', () => {
      expect(decideAfterFailure({ kind: 'rate_limited', retryAfterMs: 10_000 }, fresh).action).toBe(
        'retry_same_route',
      );
    });
  });
});

describe(failureEffects.name, () => {
  /** kind → moves the sticky route / counts against the circuit / disables the route / falls over (next route). */
  const table: Record<FailureKind, [FailureEffectsRow['movesSticky'], boolean, boolean, boolean]> =
    {
      overloaded: ['yes', true, false, true],
      server_error: ['yes', true, false, true],
      timeout: ['yes', true, false, true],
      network: ['yes', true, false, true],
      rate_limited: ['yes', true, false, true],
      truncated: ['after_repeats', false, false, true],
      invalid_output: ['after_repeats', false, false, true],
      bad_request: ['no', false, false, true],
      context_length: ['no', false, false, true],
      content_blocked: ['no', false, false, true],
      auth: ['no', false, true, true],
    };

  it.each(FAILURE_KINDS.map((kind) => [kind, ...table[kind]] as const))(
    '%s: moves sticky %s, circuit %s, disables %s, falls over %s',
    (kind, movesSticky, countsForCircuit, disablesRoute, fallsOver) => {
      expect(failureEffects(kind)).toEqual({ movesSticky, countsForCircuit, disablesRoute });
      // Every kind falls over to the next route once the same-route retries the policy allows are spent.
      const spent = { ...fresh, retriesOnRoute: 1 };
      expect(decideAfterFailure({ kind, retryAfterMs: 1_000 }, spent).action === 'next_route').toBe(
        fallsOver,
      );
    },
  );
});

type FailureEffectsRow = ReturnType<typeof failureEffects>;
