import { Inject, Injectable } from '@nestjs/common';
import { Counter, Gauge, Registry } from 'prom-client';
import { Clock, SYSTEM_CLOCK } from '../common/clock';
import { DomainError } from '../common/domain-error';
import { SECURITY_CONFIG, SecurityConfig } from '../config/security.config';

const DAY_MS = 86_400_000;

/** The client's daily token budget is spent: 429 until the window ends (the next UTC midnight). */
export class BudgetExceededError extends DomainError {
  readonly code = 'budget_exceeded';
  readonly status = 429;
  constructor(
    readonly budget: number,
    override readonly retryAfterSeconds: number,
  ) {
    super(
      `The daily token budget of ${budget} tokens for this client is spent; it renews at 00:00 UTC`,
    );
    this.name = 'BudgetExceededError';
  }
}

/** Where spend is counted: per client and UTC day. In this process today; a shared store can replace it. */
export interface SpendStore {
  add(clientId: string, day: number, tokens: number): number;
  spent(clientId: string, day: number): number;
}

export class InMemorySpendStore implements SpendStore {
  private readonly totals = new Map<string, { day: number; tokens: number }>();

  add(clientId: string, day: number, tokens: number): number {
    const entry = this.totals.get(clientId);
    const total = (entry?.day === day ? entry.tokens : 0) + tokens;
    this.totals.set(clientId, { day, tokens: total });
    return total;
  }

  spent(clientId: string, day: number): number {
    const entry = this.totals.get(clientId);
    return entry?.day === day ? entry.tokens : 0;
  }
}

/** A client as a metric label: the key's fingerprint, or `open` for the address-based clients of an open service. */
const clientLabel = (clientId: string) =>
  clientId.startsWith('key:') ? clientId.slice(4) : 'open';

export const SPEND_STORE = Symbol('SPEND_STORE');
export const SPEND_CLOCK = Symbol('SPEND_CLOCK');

/**
 * TOKEN_BUDGET_PER_KEY_PER_DAY: the tokens (input and output of every attempt, failed ones included) a client may
 * spend per UTC day across all generating endpoints. Spend is also a metric per client, labelled with the key's
 * fingerprint (a hash), never the key.
 */
@Injectable()
export class TokenBudgetService {
  private readonly tokens: Counter<'client'>;
  /** Clients seen today, for the budget gauge. */
  private readonly seen = new Set<string>();

  constructor(
    @Inject(SECURITY_CONFIG) private readonly config: Pick<SecurityConfig, 'tokenBudgetPerDay'>,
    @Inject(SPEND_STORE) private readonly store: SpendStore,
    registry: Registry,
    @Inject(SPEND_CLOCK) private readonly clock: Pick<Clock, 'date'> = SYSTEM_CLOCK,
  ) {
    this.tokens = new Counter({
      name: 'llm_client_tokens_total',
      help: 'Tokens spent per client (input + output of every attempt), by API-key fingerprint; "open" without keys',
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
        help: 'Share of TOKEN_BUDGET_PER_KEY_PER_DAY a client has spent today, by API-key fingerprint',
        labelNames: ['client'],
        registers: [registry],
        collect() {
          this.reset();
          for (const { client, ratio } of ratios()) this.set({ client }, ratio);
        },
      });
    }
  }

  /** Throws BudgetExceededError when the client has nothing left today. */
  check(clientId: string): void {
    const budget = this.config.tokenBudgetPerDay;
    if (budget === undefined) return;
    const now = this.clock.date().getTime();
    if (this.store.spent(clientId, Math.floor(now / DAY_MS)) < budget) return;
    const untilMidnight = DAY_MS - (now % DAY_MS);
    throw new BudgetExceededError(budget, Math.max(1, Math.ceil(untilMidnight / 1000)));
  }

  charge(clientId: string, tokens: number): void {
    const day = Math.floor(this.clock.date().getTime() / DAY_MS);
    this.store.add(clientId, day, tokens);
    this.seen.add(clientId);
    this.tokens.inc({ client: clientLabel(clientId) }, tokens);
  }

  spentToday(clientId: string): number {
    return this.store.spent(clientId, Math.floor(this.clock.date().getTime() / DAY_MS));
  }
}
