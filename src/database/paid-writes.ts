import { Injectable, Logger } from '@nestjs/common';
import { Counter, Registry } from 'prom-client';
import { SYSTEM_CLOCK } from '../common/clock';
import { DatabaseUnavailableError } from './database-faults';

/** How long a paid-for generation keeps trying to reach the database before the answer is 503. */
export const PAID_WRITE_RETRY_MS = 10_000;
const BACKOFF_MS = { first: 200, max: 2_000 };

export type GenerationKind = 'profile' | 'lesson';

/**
 * Stores what was paid for. A generation costs LLM tokens; if the database is unreachable at the moment it is
 * stored, the write is retried with backoff for up to PAID_WRITE_RETRY_MS (a restart or failover usually fits). If
 * the database stays away, the caller gets 503 with Retry-After and `llm_generations_lost_total` counts it: never
 * lost silently.
 */
@Injectable()
export class PaidWrites {
  private readonly logger = new Logger(PaidWrites.name);
  private readonly lost: Counter<'kind'>;

  constructor(
    registry: Registry,
    private readonly clock = SYSTEM_CLOCK,
  ) {
    this.lost = new Counter({
      name: 'llm_generations_lost_total',
      help: 'Generations paid for but not stored because the database stayed unreachable (the caller got 503)',
      labelNames: ['kind'],
      registers: [registry],
    });
  }

  async store<T>(kind: GenerationKind, write: () => Promise<T>): Promise<T> {
    const deadline = this.clock.now() + PAID_WRITE_RETRY_MS;
    let wait = BACKOFF_MS.first;
    for (let attempt = 1; ; attempt += 1) {
      try {
        const stored = await write();
        if (attempt > 1) this.logger.log(`Stored a ${kind} on attempt ${attempt}`);
        return stored;
      } catch (error) {
        // Only the server being away is retried (the pool classifies it); a failing statement is not.
        if (!(unwrap(error) instanceof DatabaseUnavailableError)) throw error;
        if (this.clock.now() + wait > deadline) {
          this.lost.inc({ kind });
          this.logger.error(
            `Lost a generated ${kind}: the database stayed unreachable for ${PAID_WRITE_RETRY_MS} ms (${attempt} attempts)`,
          );
          throw error;
        }
        await this.clock.sleep(wait);
        wait = Math.min(wait * 2, BACKOFF_MS.max);
      }
    }
  }
}

/** The pool's error behind the ORM's wrapper. */
function unwrap(error: unknown): unknown {
  if (error instanceof DatabaseUnavailableError) return error;
  return (error as { cause?: unknown })?.cause;
}
