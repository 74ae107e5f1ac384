import { Inject, Injectable } from '@nestjs/common';
import { Counter, Gauge, Registry } from 'prom-client';
import { Clock, SYSTEM_CLOCK } from '../common/clock';
import { DomainError } from '../common/domain-error';
import { SpendAsk, SpendHold } from '../common/spend-scope';
import { SECURITY_CONFIG, SecurityConfig } from '../config/security.config';
import { BudgetCounter, SpendStore } from './spend-store';

const DAY_MS = 86_400_000;
/** USD counters count micro-dollars (integers, as Redis counts). */
const MICRO = 1_000_000;
/** The service-wide counter's id (client ids are `key:…` or `ip:…`, so it cannot collide). */
const SERVICE = 'service';
/**
 * The least output limit worth sending when a budget lowers a default one: below it the request is refused instead
 * (a handful of tokens is no answer).
 */
export const MIN_LOWERED_OUTPUT_TOKENS = 16;

/** A daily token budget is spent (the client's, or the whole service's): 429 until the next UTC midnight. */
export class BudgetExceededError extends DomainError {
  readonly code = 'budget_exceeded';
  readonly status = 429;
  constructor(
    message: string,
    override readonly retryAfterSeconds: number,
  ) {
    super(message);
    this.name = 'BudgetExceededError';
  }
}

/** A client as a metric label: the key's id, or `open` for the address-based clients of an open service. */
const clientLabel = (clientId: string) =>
  clientId.startsWith('key:') ? clientId.slice(4) : 'open';

export const SPEND_STORE = Symbol('SPEND_STORE');
export const SPEND_CLOCK = Symbol('SPEND_CLOCK');

/**
 * Daily token budgets: TOKEN_BUDGET_PER_KEY_PER_DAY per client and TOKEN_BUDGET_TOTAL_PER_DAY for the service, in
 * estimated billed tokens (input and output of every attempt, failed and abandoned ones included). Each attempt
 * reserves its worst case (input estimate plus the output limit it sends) before it is sent and settles to what it
 * cost when it ends, so concurrent requests overshoot a budget by at most one reservation. Spend is also a metric
 * per client, labelled with the key's id (a name or a fingerprint), never the key.
 */
@Injectable()
export class TokenBudgetService {
  private readonly tokens: Counter<'client'>;
  private readonly cost: Counter<'client'>;
  /** Clients seen today, for the budget gauge. */
  private readonly seen = new Set<string>();

  constructor(
    @Inject(SECURITY_CONFIG)
    private readonly config: Pick<
      SecurityConfig,
      'tokenBudgetPerDay' | 'tokenBudgetTotalPerDay' | 'usdBudgetPerDay'
    >,
    @Inject(SPEND_STORE) private readonly store: SpendStore,
    registry: Registry,
    @Inject(SPEND_CLOCK) private readonly clock: Pick<Clock, 'date'> = SYSTEM_CLOCK,
  ) {
    this.tokens = new Counter({
      name: 'llm_client_tokens_total',
      help: 'Tokens spent per client (input + output of every attempt), by API-key id; "open" without keys',
      labelNames: ['client'],
      registers: [registry],
    });
    this.cost = new Counter({
      name: 'llm_client_cost_usd_total',
      help: 'Estimated cost in USD per client (every attempt on a priced route), by API-key id; "open" without keys',
      labelNames: ['client'],
      registers: [registry],
    });
    const budget = config.tokenBudgetPerDay;
    if (budget !== undefined) {
      const ratios = () =>
        [...this.seen].map((clientId) => ({
          client: clientLabel(clientId),
          ratio: this.spentToday(clientId) / budget,
        }));
      new Gauge({
        name: 'llm_client_token_budget_used_ratio',
        help: 'Share of TOKEN_BUDGET_PER_KEY_PER_DAY a client has spent today, by API-key id',
        labelNames: ['client'],
        registers: [registry],
        collect() {
          this.reset();
          for (const { client, ratio } of ratios()) this.set({ client }, ratio);
        },
      });
    }
  }

  /** Throws BudgetExceededError when the client (or the service) has nothing left today: a quick refusal. */
  check(clientId: string): void {
    const day = this.today();
    for (const { id, budget } of this.counters(clientId))
      if (budget !== undefined && this.store.spent(id, day) >= budget)
        throw this.exceeded(id, budget);
    const usd = this.usdCounter(clientId);
    if (usd.budget !== undefined && this.store.spent(usd.id, day) >= usd.budget)
      throw this.usdExceeded();
  }

  /**
   * Holds one attempt's worst case in the client's and the service's budgets. A default output limit (`flexible`)
   * is lowered to what is left, down to MIN_LOWERED_OUTPUT_TOKENS; a caller's own limit is held whole or refused.
   */
  async reserve(clientId: string, ask: SpendAsk): Promise<SpendHold> {
    const counters = this.counters(clientId);
    const ids = counters.map(({ id }) => id);
    const usdCounter = this.usdCounter(clientId);
    const day = this.today();
    this.seen.add(clientId);
    const settleFrom = (held: number, heldMicro: number) => {
      let open = true;
      return (tokens: number, usd?: number) => {
        if (!open) return;
        open = false;
        if (tokens !== held) this.store.add(ids, day, tokens - held);
        const micro = usd === undefined ? 0 : Math.round(usd * MICRO);
        if (micro !== heldMicro) this.store.add([usdCounter.id], day, micro - heldMicro);
        const client = clientLabel(clientId);
        this.tokens.inc({ client }, tokens);
        if (usd) this.cost.inc({ client }, usd);
      };
    };
    let granted = 0;
    let outputTokens = ask.outputTokens;
    if (counters.some(({ budget }) => budget !== undefined)) {
      const want = ask.inputTokens + ask.outputTokens;
      const least = ask.flexibleOutput
        ? ask.inputTokens + Math.min(ask.outputTokens, MIN_LOWERED_OUTPUT_TOKENS)
        : want;
      granted = await this.store.reserve(counters, day, least, want);
      if (granted === 0) throw this.refusal(counters, day, want);
      outputTokens = granted - ask.inputTokens;
    }
    // The USD budget holds the attempt's worst case at its route's prices, whole (an unpriced route holds nothing).
    const worst =
      usdCounter.budget === undefined || !ask.price
        ? 0
        : Math.ceil((ask.inputTokens * ask.price.input + outputTokens * ask.price.output) * MICRO);
    if (worst > 0 && (await this.store.reserve([usdCounter], day, worst, worst)) === 0) {
      if (granted > 0) this.store.add(ids, day, -granted);
      throw this.usdExceeded(worst);
    }
    return { outputTokens, settle: settleFrom(granted, worst) };
  }

  /** What each client seen here spent today: tokens (as budgets count them) and estimated USD. */
  spendToday(): Array<{ client: string; tokens: number; usd: number }> {
    const day = this.today();
    return [...this.seen]
      .map((clientId) => ({
        client: clientLabel(clientId),
        tokens: this.store.spent(clientId, day),
        usd: this.store.spent(this.usdCounter(clientId).id, day) / MICRO,
      }))
      .filter(({ tokens, usd }) => tokens > 0 || usd > 0)
      .sort((a, b) => b.usd - a.usd || b.tokens - a.tokens);
  }

  spentToday(clientId: string): number {
    return this.store.spent(clientId, this.today());
  }

  /** The client's USD counter (micro-dollars); counted for every client, limited by USD_BUDGET_PER_KEY_PER_DAY. */
  private usdCounter(clientId: string): BudgetCounter {
    const { usdBudgetPerDay } = this.config;
    return {
      id: `usd:${clientId}`,
      budget: usdBudgetPerDay === undefined ? undefined : Math.round(usdBudgetPerDay * MICRO),
    };
  }

  private counters(clientId: string): BudgetCounter[] {
    const { tokenBudgetPerDay, tokenBudgetTotalPerDay } = this.config;
    const counters = [{ id: clientId, budget: tokenBudgetPerDay }];
    if (tokenBudgetTotalPerDay !== undefined)
      counters.push({ id: SERVICE, budget: tokenBudgetTotalPerDay });
    return counters;
  }

  /** Why `want` tokens did not fit: the tightest budget, and how much it has left. */
  private refusal(counters: BudgetCounter[], day: number, want: number): BudgetExceededError {
    const room = (counter: BudgetCounter) =>
      counter.budget === undefined ? Infinity : counter.budget - this.store.spent(counter.id, day);
    const tightest = counters.reduce((least, counter) =>
      room(counter) < room(least) ? counter : least,
    );
    const left = Math.max(0, room(tightest));
    const detail =
      left === 0
        ? 'is spent'
        : `has about ${left} tokens left, and this request may use up to ${want} (its input and output limit): send a smaller request or a lower max_tokens`;
    return this.exceeded(tightest.id, tightest.budget ?? 0, detail);
  }

  private usdExceeded(worst?: number): BudgetExceededError {
    const budget = this.config.usdBudgetPerDay ?? 0;
    const detail =
      worst === undefined
        ? 'is spent'
        : `has too little left for this request, which may cost up to $${(worst / MICRO).toFixed(4)} at its route's prices: send a smaller request or a lower max_tokens`;
    return new BudgetExceededError(
      `The daily budget of $${budget} for this client ${detail}; it renews at 00:00 UTC`,
      this.secondsToMidnight(),
    );
  }

  private secondsToMidnight(): number {
    const now = this.clock.date().getTime();
    return Math.max(1, Math.ceil((DAY_MS - (now % DAY_MS)) / 1000));
  }

  private exceeded(id: string, budget: number, detail = 'is spent'): BudgetExceededError {
    const retryAfter = this.secondsToMidnight();
    const whose =
      id === SERVICE
        ? `The service's daily token budget of ${budget} tokens`
        : `The daily token budget of ${budget} tokens for this client`;
    return new BudgetExceededError(`${whose} ${detail}; it renews at 00:00 UTC`, retryAfter);
  }

  private today(): number {
    return Math.floor(this.clock.date().getTime() / DAY_MS);
  }
}
