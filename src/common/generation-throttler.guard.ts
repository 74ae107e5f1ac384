import { applyDecorators, ExecutionContext, Injectable, UseGuards } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { Request } from 'express';
import { keyFingerprint, presentedKey } from './api-key.guard';

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
    const key = presentedKey(request as unknown as Request);
    return key
      ? `key:${keyFingerprint(key)}`
      : `ip:${(request as unknown as Request).ip ?? 'unknown'}`;
  }
}

/** Endpoints that spend money on every call: RATE_LIMIT_PER_MINUTE per client, 429 with Retry-After beyond it. */
export const RateLimited = () => applyDecorators(UseGuards(GenerationThrottlerGuard));
