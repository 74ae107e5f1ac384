import {
  applyDecorators,
  ExecutionContext,
  Injectable,
  SetMetadata,
  UseGuards,
} from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import { clientIdOf } from './api-key.guard';

/**
 * Rate limits per API key (per client IP when the service runs open), one budget shared by every generating
 * endpoint: a client cannot multiply its allowance by spreading calls across them.
 */
@Injectable()
export class GenerationThrottlerGuard extends ThrottlerGuard {
  protected override generateKey(
    _context: ExecutionContext,
    tracker: string,
    throttlerName: string,
  ): string {
    return `generation:${throttlerName}:${tracker}`;
  }

  protected override async getTracker(request: Record<string, unknown>): Promise<string> {
    return clientIdOf(request as unknown as FastifyRequest);
  }
}

/** Metadata marking a generating endpoint (it spends tokens): rate limited, and charged to the client's budget. */
export const GENERATING = 'generating';

/**
 * Endpoints that spend money on every call: RATE_LIMIT_PER_MINUTE per client, 429 with Retry-After beyond it, and
 * the client's daily token budget (TOKEN_BUDGET_PER_KEY_PER_DAY).
 */
export const RateLimited = () =>
  applyDecorators(SetMetadata(GENERATING, true), UseGuards(GenerationThrottlerGuard));
