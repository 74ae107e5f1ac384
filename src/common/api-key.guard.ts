import {
  CanActivate,
  ExecutionContext,
  Inject,
  Injectable,
  Logger,
  SetMetadata,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { AUTH_GATE, AuthGate } from './auth-gate';

const PUBLIC = 'isPublic';

/** Marks a controller or handler as open without an API key (health probes, metrics). */
export const Public = () => SetMetadata(PUBLIC, true);

/** A validated client's identity, set by ApiKeyGuard: `key:<id>`, or `ip:<address>` when the service is open. */
const CLIENT_ID = Symbol('clientId');

type WithClientId = FastifyRequest & { [CLIENT_ID]?: string };

/**
 * Who the request is for rate limits and token budgets: the validated key's id, or the client's address when the
 * service runs open (a made-up x-api-key never opens a fresh bucket).
 */
export function clientIdOf(request: FastifyRequest): string {
  return (request as WithClientId)[CLIENT_ID] ?? `ip:${request.ip ?? 'unknown'}`;
}

/** Records the request's validated client (the early body hook and the guard both may). */
export function setClientId(request: FastifyRequest, clientId: string): void {
  (request as WithClientId)[CLIENT_ID] = clientId;
}

/**
 * Protects every route but those marked @Public through the AuthGate (constant-time key check, failed attempts
 * rate limited per address). With no API_KEYS the service runs open (refused at boot in production) and says so once.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly logger = new Logger(ApiKeyGuard.name);

  constructor(
    private readonly reflector: Reflector,
    @Inject(AUTH_GATE) private readonly gate: AuthGate,
  ) {
    if (gate.open)
      this.logger.warn('API_KEYS is not set: every endpoint is open to anyone who can reach it');
  }

  canActivate(context: ExecutionContext): boolean {
    if (this.gate.open) return true;
    const isPublic = this.reflector.getAllAndOverride<boolean>(PUBLIC, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if ((request as WithClientId)[CLIENT_ID] !== undefined) return true; // checked before the body was read
    setClientId(request, this.gate.verify(request.headers, request.ip));
    return true;
  }
}
