import { IsOptional, Matches } from 'class-validator';
import { Environment, validateEnvironment } from './validate-environment';

class CoordinationEnvironment {
  @IsOptional()
  @Matches(/^rediss?:\/\/.+/, { message: 'REDIS_URL must start with redis:// or rediss://' })
  REDIS_URL?: string;

  @IsOptional()
  @Matches(/^[A-Za-z0-9:_-]{1,64}$/, {
    message: 'REDIS_KEY_PREFIX: letters, digits, ":", "_" or "-", at most 64',
  })
  REDIS_KEY_PREFIX?: string;
}

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
}

export function loadCoordinationConfig(env: Environment): CoordinationConfig {
  const parsed = validateEnvironment(CoordinationEnvironment, env);
  const url = parsed.REDIS_URL;
  return {
    redisUrl: url,
    redisLabel: url === undefined ? undefined : `Redis at ${new URL(url).host}`,
    keyPrefix: parsed.REDIS_KEY_PREFIX ?? 'llm-backend',
  };
}

/** Injection token of the validated `coordination` namespace (provided by ConfigurationModule). */
export const COORDINATION_CONFIG = Symbol('COORDINATION_CONFIG');
