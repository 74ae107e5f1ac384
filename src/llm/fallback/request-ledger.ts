import { Logger } from '@nestjs/common';
import { Clock } from '../../common/clock';
import { currentPayer, freeHold, SpendAsk, SpendHold, SpendScope } from '../../common/spend-scope';
import { ProviderError, RequestAbortedError } from '../llm.errors';
import { AttemptRecord, RecordedOutcome, Spent, TokenUsage } from '../llm.types';
import { ChainState } from '../route-state/chain-state';
import { Route, routeLabel } from '../routes';
import { LlmMetrics } from '../status/llm-metrics.service';

/** How a request ended, once: answered, failed on every route (or by the policy), or abandoned by its caller. */
export type RequestOutcome = 'success' | 'failed' | 'client_aborted';

/** What a ledger records into: the metrics, the clock, the logs. */
export interface LedgerContext {
  metrics: LlmMetrics;
  clock: Pick<Clock, 'now'>;
  logger: Logger;
  /** ` [request id]` for log lines, or empty. */
  tag: string;
}

const ZERO: TokenUsage = { inputTokens: 0, outputTokens: 0 };

/**
 * One attempt on one route, from its call to its end. A plain call ends when the answer is in (`answered`) or the
 * call fails; a stream is `committed` at its first content and ends with its last event, a failure, or the caller
 * leaving. Whatever the path, it is settled exactly once: counted in the metrics, its hold settled to its charge, and its
 * outcome written in the request's attempt list.
 */
export class AttemptEntry {
  private record: AttemptRecord | undefined;
  private settled = false;
  private outputCharacters = 0;
  /** What this attempt was charged (reported usage, or the estimate of what the provider billed). */
  charged: TokenUsage = ZERO;

  constructor(
    private readonly ledger: RequestLedger,
    readonly route: Route,
    readonly index: number,
    private readonly state: ChainState,
    /** The estimated input of the request this attempt sent: what a failed or abandoned attempt is charged. */
    private readonly inputTokens: number,
    /** The tokens held for this attempt in the payer's budgets: settled to its charge when it ends. */
    private readonly hold: SpendHold,
    private readonly started: number,
  ) {}

  /** A plain call answered: the route works, and its usage is charged. */
  answered(usage: TokenUsage | undefined): void {
    this.state.recordAttempt(this.index, 'success');
    this.settle('success', usage ?? { inputTokens: this.inputTokens, outputTokens: 0 });
  }

  /** A stream's first content arrived: the route works; the attempt stays open until the stream ends. */
  committed(): void {
    this.state.recordAttempt(this.index, 'success');
    this.write('success');
  }

  /** Text or tool-call arguments a stream delivered (what a cut or abandoned stream is charged for). */
  streamed(text: string): void {
    this.outputCharacters += text.length;
  }

  /** The stream's last event, with the provider's usage. */
  ended(usage: TokenUsage): void {
    this.settle('success', usage);
  }

  /**
   * The call failed (before or after a stream's first content); the circuit learns of it unless `counted` is false
   * (a failure a caller shaped, on a state it shares with the service's own calls).
   */
  failed(error: ProviderError, counted = true): void {
    if (this.settled) return;
    this.state.recordAttempt(this.index, error.kind, counted);
    this.settle(error.kind, this.billedSoFar(), error.status);
  }

  /** The caller left (or stopped reading) while this attempt ran: charged what the provider billed by then. */
  abandoned(): void {
    if (this.settled) return;
    this.settle('client_aborted', this.billedSoFar());
  }

  /** The attempt broke on something other than the provider (a bug): charged what it may have billed, not counted. */
  broke(): void {
    if (this.settled) return;
    this.settled = true;
    const billed = this.billedSoFar();
    this.hold.settle(
      this.ledger.budgetTokens(this.route, billed),
      this.ledger.costOf(this.route, billed),
    );
  }

  get open(): boolean {
    return !this.settled;
  }

  /** The input estimate plus the output delivered so far: what a provider bills for a call that did not finish. */
  private billedSoFar(): TokenUsage {
    return {
      inputTokens: this.inputTokens,
      // The same four characters a token as every other estimate here (token-estimate.ts).
      outputTokens: Math.ceil(this.outputCharacters / 4),
    };
  }

  private write(outcome: RecordedOutcome, status?: number): void {
    const durationMs = Math.round(this.ledger.now() - this.started);
    const record: AttemptRecord = {
      provider: this.route.provider,
      model: this.route.model,
      outcome,
      ...(status === undefined ? {} : { status }),
      durationMs,
    };
    if (this.record) Object.assign(this.record, record);
    else {
      this.record = record;
      this.ledger.attempts.push(record);
    }
  }

  private settle(outcome: RecordedOutcome, usage: TokenUsage, status?: number): void {
    if (this.settled) return;
    this.settled = true;
    this.write(outcome, status);
    this.charged = usage;
    const usd = this.ledger.settled(this.route, outcome, this.ledger.now() - this.started, usage);
    this.hold.settle(this.ledger.budgetTokens(this.route, usage), usd);
  }
}

/**
 * Everything one request costs and did, in one place: every attempt (the list callers get back and the
 * `x-llm-attempts` header), each attempt's metrics and charge, and the request's outcome, recorded exactly once,
 * whether it was a plain call, a stream, a continued stream, an abandoned one, or a failure on every route.
 */
export class RequestLedger {
  readonly attempts: AttemptRecord[] = [];
  private readonly total: Spent = { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0, usd: 0 };
  private readonly started: number;
  private readonly payer: SpendScope | undefined;
  private outcome: RequestOutcome | undefined;

  constructor(private readonly context: LedgerContext) {
    this.started = context.clock.now();
    // Captured now: a stream's events are read later, from wherever its consumer runs.
    this.payer = currentPayer();
  }

  get tag(): string {
    return this.context.tag;
  }

  now(): number {
    return this.context.clock.now();
  }

  /**
   * Holds an attempt's worst case in the payer's budgets before it is sent (free without a payer); rejects with the
   * payer's refusal (429 budget_exceeded) when it does not fit.
   */
  reserve(ask: SpendAsk, route: Route): Promise<SpendHold> {
    if (!this.payer) return Promise.resolve(freeHold(ask));
    const price = this.context.metrics.prices.perToken(route);
    return this.payer.reserve(price ? { ...ask, price } : ask);
  }

  /** An attempt on `route` (chain position `index`) starts now, with the tokens `hold` keeps for it. */
  begin(
    route: Route,
    index: number,
    state: ChainState,
    inputTokens: number,
    hold: SpendHold,
  ): AttemptEntry {
    return new AttemptEntry(this, route, index, state, inputTokens, hold, this.now());
  }

  /** Our own concurrency limit, not the provider's failure: listed and counted, never charged nor told the circuit. */
  shed(route: Route): void {
    this.attempts.push({
      provider: route.provider,
      model: route.model,
      outcome: 'overloaded',
      durationMs: 0,
    });
    this.context.metrics.attempt(route, 'overloaded', 0);
    this.context.logger.warn(
      `${routeLabel(route)} is at its concurrency limit; trying next route${this.tag}`,
    );
  }

  /** An attempt settled: its outcome and what it was charged, counted here and nowhere else. */
  settled(
    route: Route,
    outcome: RecordedOutcome,
    durationMs: number,
    usage: TokenUsage,
  ): number | undefined {
    const { metrics } = this.context;
    metrics.attempt(route, outcome, durationMs);
    const usd = metrics.usage(route, usage);
    const total = this.total;
    total.inputTokens += usage.inputTokens;
    total.cachedInputTokens += usage.cachedInputTokens ?? 0;
    total.outputTokens += usage.outputTokens;
    total.usd = total.usd === null || usd === undefined ? null : total.usd + usd;
    // The one line a call leaves at info: who answered, how fast, for how many tokens (failures warn as they happen).
    if (outcome === 'success')
      this.context.logger.log(
        `${routeLabel(route)} answered in ${Math.round(durationMs)} ms (attempt ${this.attempts.length}; ` +
          `${usage.inputTokens} in, ${usage.outputTokens} out)${this.tag}`,
      );
    return usd;
  }

  /** The tokens the payer's budgets count for `usage` on `route` (cached input weighted by its price). */
  budgetTokens(route: Route, usage: TokenUsage): number {
    return this.context.metrics.prices.budgetTokens(route, usage);
  }

  /** What `usage` on `route` costs (undefined: unpriced), without counting it anywhere. */
  costOf(route: Route, usage: TokenUsage): number | undefined {
    return this.context.metrics.prices.costOf(route, usage);
  }

  /** What the request's settled attempts cost so far. */
  spent(): Spent {
    return { ...this.total };
  }

  /** The request's end, recorded once (later calls are ignored). */
  close(outcome: RequestOutcome): void {
    if (this.outcome !== undefined) return;
    this.outcome = outcome;
    this.context.metrics.request(outcome, this.now() - this.started);
  }

  get closed(): boolean {
    return this.outcome !== undefined;
  }

  /** How long the request has run. */
  elapsedMs(): number {
    return this.now() - this.started;
  }
}

/** How a request that threw ended: the caller left, or it failed. */
export function outcomeOf(error: unknown): RequestOutcome {
  return error instanceof RequestAbortedError ? 'client_aborted' : 'failed';
}

/** A session's events, closing the request's ledger once with how the reading ended. */
export async function* closing<T extends { type: string }>(
  ledger: RequestLedger,
  events: AsyncIterable<T>,
): AsyncIterable<T> {
  let outcome: RequestOutcome = 'client_aborted';
  try {
    for await (const event of events) {
      if (event.type === 'end') outcome = 'success';
      yield event;
    }
  } catch (error) {
    outcome = outcomeOf(error);
    throw error;
  } finally {
    ledger.close(outcome);
  }
}
