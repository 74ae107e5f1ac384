import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { SYSTEM_CLOCK } from '../common/clock';
import { RedisConnection } from '../coordination/redis-connection';
import { RedisSpendStore } from './redis-spend.store';
import { SpendInterceptor } from './spend.interceptor';
import {
  InMemorySpendStore,
  SPEND_CLOCK,
  SPEND_STORE,
  TokenBudgetService,
} from './token-budget.service';

/** Per-client token budgets on the generating endpoints (TOKEN_BUDGET_PER_KEY_PER_DAY) and spend per client. */
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
    { provide: APP_INTERCEPTOR, useClass: SpendInterceptor },
  ],
  exports: [TokenBudgetService],
})
export class SpendModule {}
