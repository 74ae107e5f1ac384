import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { Observable } from 'rxjs';
import { clientIdOf } from '../common/api-key.guard';
import { GENERATING } from '../common/generation-throttler.guard';
import { withSpendScope } from '../common/spend-scope';
import { TokenBudgetService } from './token-budget.service';

/**
 * Around every generating endpoint: refuses a client whose daily token budget is spent (429 budget_exceeded), and
 * charges the tokens of every LLM attempt the handler makes to that client. Reads are never charged nor refused.
 */
@Injectable()
export class SpendInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly budget: TokenBudgetService,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const generating = this.reflector.getAllAndOverride<boolean>(GENERATING, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!generating) return next.handle();
    const clientId = clientIdOf(context.switchToHttp().getRequest<FastifyRequest>());
    this.budget.check(clientId);
    const payer = { charge: (tokens: number) => this.budget.charge(clientId, tokens) };
    // The handler runs (and its LLM calls are made) when the observable is subscribed: inside the payer's scope.
    return new Observable((subscriber) =>
      withSpendScope(payer, () => next.handle().subscribe(subscriber)),
    );
  }
}
