import { IsIn, IsOptional, IsString, Matches, MinLength } from 'class-validator';
import { ConfigValidationError, Environment, validateEnvironment } from './validate-environment';

class CoordinationEnvironment {
  @IsOptional()
  @Matches(/^rediss?:\/\/.+/, { message: 'REDIS_URL must start with redis:// or rediss://' })
  REDIS_URL?: string;

  @IsOptional()
  @Matches(/^[A-Za-z0-9:_-]{1,64}$/, {
    message: 'REDIS_KEY_PREFIX: letters, digits, ":", "_" or "-", at most 64',
  })
  REDIS_KEY_PREFIX?: string;

  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'REDIS_SHARED_SECRET must be at least 32 characters' })
  REDIS_SHARED_SECRET?: string;

  @IsOptional() @IsIn(['development', 'production', 'test']) NODE_ENV?: string;
}

/** What replicas sign shared state with outside production when no secret is set (it protects nothing). */
export const DEVELOPMENT_SHARED_SECRET = 'development-only-shared-state-secret';

/**
 * Shared state between replicas. Without REDIS_URL every process keeps its own (the embedded default); with it,
 * route state, probe leases, rate limits, token budgets and generation locks are shared through Redis.
 */
export interface CoordinationConfig {
  /** Never logged: it may carry a password. */
  redisUrl: string | undefined;
  /** What the Redis server is called in logs and status: host and port only. */
  redisLabel: string | undefined;
  /** Prefix of every key and channel, so several deployments can share one Redis. */
  keyPrefix: string;
  /**
   * What the replicas sign the shared route state with (REDIS_SHARED_SECRET, never logged): state that is not signed
   * with it is dropped. Required with REDIS_URL in production; elsewhere a fixed development secret stands in.
   */
  sharedSecret: string;
  /** Whether the development secret stands in (said at boot). */
  developmentSecret: boolean;
}

export function loadCoordinationConfig(env: Environment): CoordinationConfig {
  const parsed = validateEnvironment(CoordinationEnvironment, env);
  const url = parsed.REDIS_URL;
  if (
    url !== undefined &&
    parsed.REDIS_SHARED_SECRET === undefined &&
    parsed.NODE_ENV === 'production'
  )
    throw new ConfigValidationError([
      'REDIS_SHARED_SECRET: with REDIS_URL and NODE_ENV=production set a secret of at least 32 characters (the replicas sign their shared state with it)',
    ]);
  return {
    redisUrl: url,
    redisLabel: url === undefined ? undefined : `Redis at ${new URL(url).host}`,
    keyPrefix: parsed.REDIS_KEY_PREFIX ?? 'llm-backend',
    sharedSecret: parsed.REDIS_SHARED_SECRET ?? DEVELOPMENT_SHARED_SECRET,
    developmentSecret: parsed.REDIS_SHARED_SECRET === undefined,
  };
}

/** Injection token of the validated `coordination` namespace (provided by ConfigurationModule). */
export const COORDINATION_CONFIG = Symbol('COORDINATION_CONFIG');
