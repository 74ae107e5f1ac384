import { createHash, timingSafeEqual } from 'node:crypto';
import {
  CanActivate,
  ExecutionContext,
  Inject,
  Injectable,
  Logger,
  SetMetadata,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { SECURITY_CONFIG, SecurityConfig } from '../config/security.config';

const PUBLIC = 'isPublic';

/** Marks a controller or handler as open without an API key (health probes, metrics). */
export const Public = () => SetMetadata(PUBLIC, true);

const digest = (value: string) => createHash('sha256').update(value).digest();

/** The client key of a request: `x-api-key`, else `Authorization: Bearer`. */
export function presentedKey(request: Pick<FastifyRequest, 'headers'>): string | undefined {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header) return header;
  const authorization = request.headers.authorization;
  const bearer = authorization ? /^Bearer\s+(.+)$/i.exec(authorization) : null;
  return bearer?.[1]?.trim();
}

/** A validated client's identity, set by ApiKeyGuard: `key:<fingerprint>`, or `ip:<address>` when the service is open. */
const CLIENT_ID = Symbol('clientId');

type WithClientId = FastifyRequest & { [CLIENT_ID]?: string };

/**
 * Who the request is for rate limits and token budgets: the validated key's fingerprint, or the client's address
 * when the service runs open (a made-up x-api-key never opens a fresh bucket).
 */
export function clientIdOf(request: FastifyRequest): string {
  return (request as WithClientId)[CLIENT_ID] ?? `ip:${request.ip ?? 'unknown'}`;
}

/** A stable, non-reversible id for a key, for rate-limit buckets. */
export function keyFingerprint(key: string): string {
  return digest(key).toString('hex').slice(0, 16);
}

/**
 * Protects every route but those marked @Public. Keys are compared as SHA-256 digests with timingSafeEqual, against
 * every configured key (no early exit), so neither timing nor length says anything about a key. With no API_KEYS the
 * service runs open (refused at boot in production) and says so once.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly logger = new Logger(ApiKeyGuard.name);
  private readonly digests: Buffer[];

  constructor(
    private readonly reflector: Reflector,
    @Inject(SECURITY_CONFIG) config: SecurityConfig,
  ) {
    this.digests = config.apiKeys.map(digest);
    if (this.digests.length === 0) {
      this.logger.warn('API_KEYS is not set: every endpoint is open to anyone who can reach it');
    }
  }

  canActivate(context: ExecutionContext): boolean {
    if (this.digests.length === 0) return true;
    const isPublic = this.reflector.getAllAndOverride<boolean>(PUBLIC, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) return true;
    const key = presentedKey(context.switchToHttp().getRequest<FastifyRequest>());
    if (key === undefined)
      throw new UnauthorizedException(
        'Missing API key: send it as x-api-key or Authorization: Bearer',
      );
    const presented = digest(key);
    let matched = false;
    for (const stored of this.digests) matched = timingSafeEqual(presented, stored) || matched;
    if (!matched) throw new UnauthorizedException('Invalid API key');
    (context.switchToHttp().getRequest<FastifyRequest>() as WithClientId)[CLIENT_ID] =
      `key:${keyFingerprint(key)}`;
    return true;
  }
}
