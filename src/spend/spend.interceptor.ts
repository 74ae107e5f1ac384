import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { finalize, from, mergeMap, Observable } from 'rxjs';
import { clientIdOf } from '../common/api-key.guard';
import { GENERATING } from '../common/generation-throttler.guard';
import { SpendScope, withSpendScope } from '../common/spend-scope';
import { InFlightLimiter } from './in-flight-limiter';
import { TokenBudgetService } from './token-budget.service';

/**
 * Around every generating endpoint: refuses a client whose daily token budget (or the service's) is spent, and one
 * with MAX_IN_FLIGHT_PER_KEY requests running (429s); then every LLM attempt the handler makes reserves its worst
 * case in the budgets and settles to its cost. The in-flight slot is given back however the request ends. Reads are
 * never charged nor refused.
 */
@Injectable()
export class SpendInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly budget: TokenBudgetService,
    private readonly inFlight: InFlightLimiter,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const generating = this.reflector.getAllAndOverride<boolean>(GENERATING, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!generating) return next.handle();
    const clientId = clientIdOf(context.switchToHttp().getRequest<FastifyRequest>());
    this.budget.check(clientId);
    const payer: SpendScope = { reserve: (ask) => this.budget.reserve(clientId, ask) };
    return from(this.inFlight.acquire(clientId)).pipe(
      mergeMap((release) =>
        // The handler runs (and its LLM calls are made) when the observable is subscribed: inside the payer's scope.
        new Observable((subscriber) =>
          withSpendScope(payer, () => next.handle().subscribe(subscriber)),
        ).pipe(finalize(release)),
      ),
    );
  }
}
