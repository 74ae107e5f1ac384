import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { SYSTEM_CLOCK } from '../common/clock';
import { RedisConnection } from '../coordination/redis-connection';
import { InFlightLimiter } from './in-flight-limiter';
import { RedisSpendStore } from './redis-spend.store';
import { InMemorySpendStore } from './spend-store';
import { SpendInterceptor } from './spend.interceptor';
import { SPEND_CLOCK, SPEND_STORE, TokenBudgetService } from './token-budget.service';

/**
 * What clients may consume on the generating endpoints: token budgets per client and for the service (reserved per
 * attempt, settled to the cost), requests in flight per client, and spend per client.
 */
@Module({
  providers: [
    {
      provide: SPEND_STORE,
      inject: [RedisConnection],
      useFactory: (redis: RedisConnection) =>
        redis.configured ? new RedisSpendStore(redis) : new InMemorySpendStore(),
    },
    { provide: SPEND_CLOCK, useValue: SYSTEM_CLOCK },
    TokenBudgetService,
    InFlightLimiter,
    { provide: APP_INTERCEPTOR, useClass: SpendInterceptor },
  ],
  exports: [TokenBudgetService],
})
export class SpendModule {}
