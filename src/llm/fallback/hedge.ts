import type { Clock } from '../../common/clock';
import { RequestAbortedError } from '../llm.errors';
import type { Route } from '../routes';
import { RetryBudget, WindowedRetryCounts } from './retry-budget';

export interface HedgeSettings {
  /** Start a second walk when the first has not answered after this long (LLM_HEDGE_AFTER_MS); undefined: off. */
  afterMs: number | undefined;
  /** Hedged requests as a share of eligible ones over 10 s (LLM_HEDGE_MAX_SHARE). */
  maxShare: number;
}

/** One walk of a request, under its own signal; `skip` is the route the other walk is waiting on. */
export type HedgedWalk<T> = (
  signal: AbortSignal | undefined,
  skip: Route | undefined,
) => Promise<T>;

/**
 * Hedged requests for plain calls (off by default): when the first walk has not answered after `afterMs`, a second
 * walk starts on the chain without the route the first is waiting on. The first complete, valid answer wins; the
 * other walk is aborted, and both are charged (the loser as an abandoned attempt). At most `maxShare` of eligible
 * requests are hedged, so a slow provider cannot double the traffic.
 */
export class Hedger {
  private readonly budget: RetryBudget;

  constructor(
    private readonly settings: HedgeSettings,
    private readonly clock: Clock,
    private readonly hedged: (winner: 'first' | 'hedge') => void = () => undefined,
  ) {
    this.budget = new RetryBudget(
      { ratio: settings.maxShare, minPerWindow: 0 },
      new WindowedRetryCounts(() => clock.date().getTime()),
    );
  }

  get enabled(): boolean {
    return this.settings.afterMs !== undefined;
  }

  /** Runs `walk`, hedged when it is slow; `current` is the route the first walk is on. */
  async run<T>(
    walk: HedgedWalk<T>,
    callerSignal: AbortSignal | undefined,
    current: () => Route | undefined,
  ): Promise<T> {
    const afterMs = this.settings.afterMs;
    if (afterMs === undefined) return walk(callerSignal, undefined);
    this.budget.first('hedge');
    const walks = [new AbortController(), new AbortController()];
    const onCallerAbort = () => walks.forEach((controller) => controller.abort());
    callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
    const timer = new AbortController();
    try {
      const first = walk(walks[0].signal, undefined);
      const waited = await Promise.race([
        first.then(
          () => 'done' as const,
          () => 'done' as const,
        ),
        this.clock.sleep(afterMs, timer.signal).then(
          () => 'slow' as const,
          () => 'done' as const,
        ),
      ]);
      timer.abort();
      if (waited === 'done' || callerSignal?.aborted || !this.budget.tryExtra('hedge'))
        return await first;
      const second = walk(walks[1].signal, current());
      return await this.firstAnswer([first, second], walks);
    } finally {
      timer.abort();
      callerSignal?.removeEventListener('abort', onCallerAbort);
    }
  }

  /** The first walk to answer wins and the other is aborted (and awaited, so its charge is in before we return). */
  private async firstAnswer<T>(runs: Array<Promise<T>>, walks: AbortController[]): Promise<T> {
    const settled = runs.map((run, index) =>
      run.then(
        (value) => ({ index, value, ok: true as const }),
        (error: unknown) => ({ index, error, ok: false as const }),
      ),
    );
    const pending = new Set([0, 1]);
    const errors: unknown[] = [];
    while (pending.size > 0) {
      const next = await Promise.race([...pending].map((index) => settled[index]));
      pending.delete(next.index);
      if (next.ok) {
        for (const index of pending) walks[index].abort();
        await Promise.all([...pending].map((index) => settled[index]));
        this.hedged(next.index === 0 ? 'first' : 'hedge');
        return next.value;
      }
      errors[next.index] = next.error;
    }
    // Neither answered: the first walk's error (it walked the whole chain), unless it was only aborted.
    throw errors[0] instanceof RequestAbortedError ? errors[1] : errors[0];
  }
}
