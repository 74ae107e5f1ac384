import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { UnauthorizedException } from '@nestjs/common';
import type { ClientKey } from '../config/security.config';
import { Clock, SYSTEM_CLOCK } from './clock';
import { DomainError } from './domain-error';

const WINDOW_MS = 60_000;
/** Addresses tracked at most; past it, windows that ended are swept first, then the oldest go. */
const MOST_ADDRESSES = 10_000;

const digest = (value: string) => createHash('sha256').update(value).digest();

/** The client key of a request: `x-api-key`, else `Authorization: Bearer`. */
export function presentedKey(headers: IncomingHttpHeaders): string | undefined {
  const header = headers['x-api-key'];
  if (typeof header === 'string' && header) return header;
  const authorization = headers.authorization;
  const bearer = authorization ? /^Bearer\s+(.+)$/i.exec(authorization) : null;
  return bearer?.[1]?.trim();
}

/** Too many failed authentications from one address: 429 until its window ends. */
export class TooManyAuthFailuresError extends DomainError {
  readonly code = 'too_many_auth_failures';
  readonly status = 429;
  constructor(override readonly retryAfterSeconds: number) {
    super('Too many requests with a missing or invalid API key from this address; try again later');
    this.name = 'TooManyAuthFailuresError';
  }
}

/**
 * Who a request is: the configured key it presents (compared as SHA-256 digests in constant time against every key,
 * no early exit, so neither timing nor length says anything about a key). Failed authentications are counted per
 * client address in a one-minute window; past AUTH_FAILURES_PER_MINUTE its failures are answered 429 until the
 * window ends (a valid key from the same address, behind the same proxy say, still passes).
 */
export class AuthGate {
  private readonly keys: Array<{ digest: Buffer; id: string }>;
  private readonly failures = new Map<string, { count: number; endsAt: number }>();

  constructor(
    keys: readonly ClientKey[],
    private readonly failuresPerMinute: number,
    private readonly clock: Pick<Clock, 'now'> = SYSTEM_CLOCK,
  ) {
    this.keys = keys.map(({ key, id }) => ({ digest: digest(key), id }));
  }

  /** Whether the service runs without keys (open). */
  get open(): boolean {
    return this.keys.length === 0;
  }

  /**
   * The client id of the key the request presents (`key:<name or fingerprint>`); throws 401 for a missing or
   * invalid key and 429 for an address over its failures. Only for a service with keys.
   */
  verify(headers: IncomingHttpHeaders, address: string): string {
    const key = presentedKey(headers);
    if (key === undefined) {
      this.failed(address);
      throw new UnauthorizedException(
        'Missing API key: send it as x-api-key or Authorization: Bearer',
      );
    }
    const presented = digest(key);
    let matched: string | undefined;
    for (const stored of this.keys)
      if (timingSafeEqual(presented, stored.digest)) matched = matched ?? stored.id;
    if (matched === undefined) {
      this.failed(address);
      throw new UnauthorizedException('Invalid API key');
    }
    return `key:${matched}`;
  }

  /** Counts a failure; past the limit the answer is 429 until the address's window ends. */
  private failed(address: string): void {
    const now = this.clock.now();
    let window = this.failures.get(address);
    if (!window || window.endsAt <= now) {
      if (this.failures.size >= MOST_ADDRESSES) this.sweep(now);
      window = { count: 0, endsAt: now + WINDOW_MS };
      this.failures.set(address, window);
    }
    window.count += 1;
    if (window.count > this.failuresPerMinute)
      throw new TooManyAuthFailuresError(Math.max(1, Math.ceil((window.endsAt - now) / 1000)));
  }

  private sweep(now: number): void {
    for (const [address, window] of this.failures)
      if (window.endsAt <= now) this.failures.delete(address);
    while (this.failures.size >= MOST_ADDRESSES) {
      const oldest = this.failures.keys().next().value as string;
      this.failures.delete(oldest);
    }
  }
}

export const AUTH_GATE = Symbol('AUTH_GATE');
