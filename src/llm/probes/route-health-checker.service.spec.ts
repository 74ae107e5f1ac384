import { SchedulerRegistry } from '@nestjs/schedule';
import { FakeClock } from '../../../test/support/fake-clock';
import { llmParts } from '../../../test/support/llm-parts';
import { ProviderError } from '../llm.errors';
import {
  LlmProvider,
  ProviderCallOptions,
  ProviderRequest,
  ProviderResponse,
  SamplingParameter,
  StreamEvent,
} from '../llm.types';
import { parseRouteList } from '../routes';
import { probeDelayMs, RouteHealthChecker } from './route-health-checker.service';

/** Answers probes per model: healthy or overloaded, switchable at will; counts calls. */
class SwitchableProvider implements LlmProvider {
  readonly name = 'gemini' as const;
  readonly telemetryName = 'gcp.gemini';
  readonly configured = true;
  readonly supports = new Set<SamplingParameter>();
  readonly down = new Set<string>();
  readonly silent = new Set<string>();
  readonly requests: ProviderRequest[] = [];
  readonly calls: string[] = [];
  inFlight = 0;
  maxInFlight = 0;

  async generate(
    request: ProviderRequest,
    options: ProviderCallOptions,
  ): Promise<ProviderResponse> {
    this.calls.push(request.model);
    this.requests.push(request);
    if (this.silent.has(request.model)) {
      await new Promise((_resolve, reject) =>
        options.signal.addEventListener('abort', () => reject(new Error('aborted'))),
      );
    }
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await Promise.resolve();
    this.inFlight -= 1;
    if (this.down.has(request.model)) {
      throw new ProviderError(
        { provider: 'gemini', model: request.model },
        { kind: 'overloaded', status: 503 },
      );
    }
    return { text: 'OK', usage: { inputTokens: 1, outputTokens: 1 }, finish: 'stop' };
  }

  acceptsPrefill(): boolean {
    return true;
  }

  // Probes never stream.
  // eslint-disable-next-line require-yield
  async *stream(): AsyncIterable<StreamEvent> {
    throw new Error('not used by probes');
  }
}

const chain = parseRouteList('gemini:primary,gemini:second,gemini:third');

function setup() {
  const provider = new SwitchableProvider();
  const parts = llmParts(
    {
      routes: { chain, providers: {} },
      timeouts: { attemptMs: 1_000 },
      probes: {
        timeoutMs: 1_000,
        intervalMs: 30_000,
        successesToRecover: 2,
        circuitFailureThreshold: 3,
      },
      clock: new FakeClock(),
    },
    [provider],
  );
  const state = parts.registry.defaultState;
  const scheduler = new SchedulerRegistry();
  const checker = parts.checker(scheduler);
  return { provider, state, checker, scheduler };
}

describe(RouteHealthChecker.name, () => {
  afterEach(() => jest.useRealTimers());

  it('does nothing while traffic is on a healthy primary', async () => {
    const { provider, checker } = setup();
    await checker.runProbes();
    expect(provider.calls).toEqual([]);
  });

  it('probes routes ahead of the sticky one and moves back to the earliest after two successful rounds', async () => {
    const { provider, state, checker } = setup();
    provider.down.add('primary').add('second');
    state.recordSuccess(state.plan(), 2, 'overloaded');

    await checker.runProbes();
    expect(provider.calls).toEqual(['primary', 'second']);
    provider.down.clear();
    await checker.runProbes();
    expect(state.sticky().index).toBe(2);
    await checker.runProbes();

    expect(state.sticky()).toMatchObject({ index: 0, reason: 'recovered' });
    expect(provider.calls).toEqual(['primary', 'second', 'primary', 'second', 'primary', 'second']);
    await checker.runProbes();
    expect(provider.calls).toHaveLength(6);
  });

  it('never overlaps rounds, and probes the routes of a round at the same time', async () => {
    const { provider, state, checker } = setup();
    state.recordSuccess(state.plan(), 2, 'overloaded');
    await Promise.all([checker.runProbes(), checker.runProbes(), checker.runProbes()]);
    expect(provider.calls).toEqual(['primary', 'second']);
    expect(provider.maxInFlight).toBe(2);
  });

  it('probes with a minimal plain-text request, thinking off, under LLM_PROBE_TIMEOUT_MS', async () => {
    const { provider, state, checker } = setup();
    state.recordSuccess(state.plan(), 1, 'overloaded');
    await checker.runProbes();
    expect(provider.requests[0]).toMatchObject({
      responseFormat: { type: 'text' },
      thinking: 'off',
      allowTruncation: true,
    });
    expect(provider.requests[0].maxOutputTokens).toBeLessThanOrEqual(16);
  });

  it('a silent route does not hold up the others: both are asked at once, each bounded by the probe timeout', async () => {
    jest.useFakeTimers();
    const { provider, state, checker } = setup();
    provider.silent.add('primary');
    state.recordSuccess(state.plan(), 2, 'overloaded');
    const round = checker.runProbes();
    await jest.advanceTimersByTimeAsync(1);
    expect(provider.calls).toEqual(['primary', 'second']); // the second did not wait for the silent primary
    await jest.advanceTimersByTimeAsync(2_000); // the probe timeout (1 s here)
    await round;
    const [primary, second] = state.snapshot();
    expect(primary.lastProbe?.outcome).toBe('timeout');
    expect(second.lastProbe?.outcome).toBe('success');
  });

  it('adapts its cadence to an outage: a tenth of the interval first, doubling up to it; confirms a success fast; stops at shutdown', async () => {
    jest.useFakeTimers();
    const { provider, state, checker } = setup(); // interval 30 s; FakeClock's random 0.5: no jitter
    provider.down.add('primary');
    state.recordSuccess(state.plan(), 1, 'overloaded');
    checker.onApplicationBootstrap();

    const probeTimes: number[] = [];
    for (let second = 1; second <= 60; second += 1) {
      const before = provider.calls.length;
      await jest.advanceTimersByTimeAsync(1_000);
      if (provider.calls.length > before) probeTimes.push(second);
    }
    // 3 s, then +6, +12, +24 (the interval caps the wait at 30 s).
    expect(probeTimes).toEqual([3, 9, 21, 45]);

    // The primary comes back: the next probe succeeds, a second one confirms it 3 s later, traffic moves back.
    provider.down.delete('primary');
    await jest.advanceTimersByTimeAsync(30_000);
    await jest.advanceTimersByTimeAsync(3_000);
    expect(state.sticky().index).toBe(0);
    const recoveredAfter = provider.calls.length;

    // Nothing to probe now: no provider calls, only a cheap look every 3 s.
    await jest.advanceTimersByTimeAsync(60_000);
    expect(provider.calls.length).toBe(recoveredAfter);

    await checker.beforeApplicationShutdown();
    state.recordSuccess(state.plan(), 1, 'overloaded');
    await jest.advanceTimersByTimeAsync(120_000);
    expect(provider.calls.length).toBe(recoveredAfter);
  });

  it('probeDelayMs: first, doubling, capped, confirming', () => {
    const cadence = (quietRounds: number, confirming = false) => ({
      probing: true,
      quietRounds,
      confirming,
    });
    expect([0, 1, 2, 3, 4, 10].map((quiet) => probeDelayMs(20_000, cadence(quiet)))).toEqual([
      2_000, 4_000, 8_000, 16_000, 20_000, 20_000,
    ]);
    expect(probeDelayMs(20_000, cadence(3, true))).toBe(2_000);
    expect(probeDelayMs(20_000, { probing: false, quietRounds: 0, confirming: false })).toBe(2_000);
  });
});
