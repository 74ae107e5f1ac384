import { FakeClock } from '../../test/support/fake-clock';
import { llmParts } from '../../test/support/llm-parts';
import { COUNT_FIELDS, zeroCounts } from '../llm';
import type { RouteCounts, SharedStateStatus } from '../llm';
import { ChainState, ChainPolicy } from '../llm/route-state/chain-state';
import { Route } from '../llm/routes';
import {
  ChainStateMessage,
  COUNTS_FLUSH_MS,
  RouteStateTransport,
  SharedChainState,
  SharedRouteStateStore,
  STATE_FLUSH_MS,
} from './shared-route-state.store';

/** What Redis does for the store, in memory: the latest state per chain, summed counts, ordered announcements. */
class Hub {
  readonly states = new Map<string, SharedChainState>();
  readonly counts = new Map<string, RouteCounts[]>();
  readonly transports: MemoryTransport[] = [];
  up = true;
  published = 0;
}

class MemoryTransport implements RouteStateTransport {
  private stateListener: ((message: ChainStateMessage) => void) | undefined;
  private connectListener: (() => void) | undefined;

  constructor(
    private readonly hub: Hub,
    readonly origin: string,
  ) {
    hub.transports.push(this);
  }

  up(): boolean {
    return this.hub.up;
  }

  async publish(chain: string, state: SharedChainState | undefined, deltas: RouteCounts[]) {
    if (!this.hub.up) throw new Error('down');
    const totals = this.hub.counts.get(chain) ?? deltas.map(() => zeroCounts());
    deltas.forEach((delta, index) => {
      for (const field of COUNT_FIELDS) totals[index][field] += delta[field];
    });
    this.hub.counts.set(chain, totals);
    if (state) {
      const copy = JSON.parse(JSON.stringify(state)) as SharedChainState;
      this.hub.states.set(chain, copy);
      this.hub.published += 1;
      for (const transport of this.hub.transports)
        transport.stateListener?.({ origin: this.origin, chain, state: copy });
    }
    return totals.map((counts) => ({ ...counts }));
  }

  async read(chain: string) {
    if (!this.hub.up) throw new Error('down');
    const state = this.hub.states.get(chain);
    return {
      state: state && (JSON.parse(JSON.stringify(state)) as SharedChainState),
      counts: (this.hub.counts.get(chain) ?? []).map((counts) => ({ ...counts })),
    };
  }

  onState(listener: (message: ChainStateMessage) => void): void {
    this.stateListener = listener;
  }

  onConnect(listener: () => void): void {
    this.connectListener = listener;
  }

  reconnect(): void {
    this.connectListener?.();
  }

  status(): SharedStateStatus {
    return { mode: this.hub.up ? 'shared' : 'degraded', backend: 'memory' };
  }
}

const chain: Route[] = [
  { provider: 'gemini', model: 'primary' },
  { provider: 'openai', model: 'fallback' },
];
const policy: ChainPolicy = {
  failureThreshold: 3,
  successesToClose: 2,
  outputFailuresToSwitch: 3,
  disabledReprobeMs: 600_000,
};

/** Two replicas on one hub, each with its own store and its own ChainState for the same chain. */
function twoReplicas() {
  const hub = new Hub();
  const clock = new FakeClock();
  const replica = (name: string) => {
    const transport = new MemoryTransport(hub, name);
    const store = new SharedRouteStateStore(transport, () => Date.now());
    return { transport, store, state: new ChainState(chain, policy, store, clock) };
  };
  return { hub, a: replica('a'), b: replica('b') };
}

/** Lets timers fire and the promises they start settle. */
async function elapse(ms: number): Promise<void> {
  await jest.advanceTimersByTimeAsync(ms);
}

describe('SharedRouteStateStore (two replicas, fake timers)', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it("a failover on replica A moves replica B's next plan to the fallback within one state flush", async () => {
    const { a, b } = twoReplicas();
    const plan = a.state.plan();
    a.state.recordAttempt(0, 'overloaded');
    a.state.recordAttempt(1, 'success');
    a.state.recordSuccess(plan, 1, 'overloaded');
    expect(b.state.plan().routes[0].index).toBe(0); // not yet: nothing was sent
    await elapse(STATE_FLUSH_MS);
    expect(b.state.sticky().index).toBe(1);
    expect(b.state.plan().routes[0].index).toBe(1);
    expect(b.state.sticky().reason).toBe('overloaded');
  });

  it('circuits and rejected keys travel too, and a recovery moves every replica back', async () => {
    const { a, b } = twoReplicas();
    for (let i = 0; i < 3; i += 1) a.state.recordAttempt(0, 'server_error');
    a.state.disable(chain[1], 'HTTP 401');
    await elapse(STATE_FLUSH_MS);
    expect(b.state.snapshot()[0].circuit).toBe('open');
    expect(b.state.isDisabled(chain[1])).toBe(true);

    // B runs the probes (it holds the lease): its results and the recovery reach A.
    b.state.reset(1, 'server_error');
    b.state.recordProbe(0, 'success');
    b.state.recordProbe(0, 'success');
    b.state.recoverIfHealthy();
    await elapse(STATE_FLUSH_MS);
    expect(a.state.snapshot()[0].circuit).toBe('closed');
    expect(a.state.sticky()).toMatchObject({ index: 0, reason: 'recovered' });
  });

  it('counts are summed across replicas, not overwritten, and sent at most once a second', async () => {
    const { hub, a, b } = twoReplicas();
    for (let i = 0; i < 5; i += 1) a.state.recordAttempt(0, 'success');
    for (let i = 0; i < 3; i += 1) b.state.recordAttempt(0, 'success');
    await elapse(STATE_FLUSH_MS);
    expect(hub.published).toBe(0); // counts only: they wait for the counts interval
    await elapse(COUNTS_FLUSH_MS);
    expect(hub.counts.get(a.state.key)?.[0].successes).toBe(8);
    // Each replica shows the deployment's total after its next flush.
    a.state.recordAttempt(0, 'success');
    await elapse(COUNTS_FLUSH_MS);
    expect(a.state.snapshot()[0].counts.successes).toBe(9);
    expect(b.state.snapshot()[0].counts.successes).toBe(8);
  });

  it('while the hub is down each replica serves on its own state, then sends what it saw when it is back', async () => {
    const { hub, a, b } = twoReplicas();
    hub.up = false;
    const plan = a.state.plan();
    a.state.recordAttempt(0, 'timeout');
    a.state.recordSuccess(plan, 1, 'timeout');
    await elapse(STATE_FLUSH_MS + COUNTS_FLUSH_MS);
    expect(a.state.plan().routes[0].index).toBe(1); // local state still works
    expect(b.state.sticky().index).toBe(0);

    hub.up = true;
    for (const transport of hub.transports) transport.reconnect();
    await elapse(STATE_FLUSH_MS);
    expect(b.state.sticky().index).toBe(1);
    expect(hub.counts.get(a.state.key)?.[0].availabilityFailures).toBe(1);
  });

  it('a replica that starts later loads the shared state instead of starting from the primary', async () => {
    const { hub, a } = twoReplicas();
    const plan = a.state.plan();
    a.state.recordAttempt(0, 'rate_limited');
    a.state.recordSuccess(plan, 1, 'rate_limited');
    await elapse(STATE_FLUSH_MS);
    const late = new SharedRouteStateStore(new MemoryTransport(hub, 'c'), () => Date.now());
    const state = new ChainState(chain, policy, late, new FakeClock());
    await elapse(0);
    expect(state.sticky().index).toBe(1);
  });

  it('a per-request chain used only on replica A is tracked on replica B too (so the lease holder probes it)', async () => {
    const hub = new Hub();
    const registry = (name: string) =>
      llmParts(
        { routes: { chain, providers: {} }, clock: new FakeClock() },
        [],
        new SharedRouteStateStore(new MemoryTransport(hub, name), () => Date.now()),
      ).registry;
    const a = registry('a');
    const b = registry('b');
    const perRequest: Route[] = [
      { provider: 'openai', model: 'gpt-4o-mini' },
      { provider: 'anthropic', model: 'claude-haiku-4-5-20251001' },
    ];
    const state = a.forChain(perRequest);
    const plan = state.plan();
    state.recordAttempt(0, 'overloaded');
    state.recordSuccess(plan, 1, 'overloaded');
    await elapse(STATE_FLUSH_MS);
    const onB = b.all().find((candidate) => candidate.key === state.key);
    expect(onB?.sticky().index).toBe(1);
    expect(onB?.probeTargets().map((target) => target.route)).toEqual([perRequest[0]]);
  });
});
