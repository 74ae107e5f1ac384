import { IsIn, IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { ConfigValidationError, Environment, validateEnvironment } from './validate-environment';

class SecurityEnvironment {
  @IsOptional() @IsString() API_KEYS?: string;
  @IsOptional() @IsInt() @Min(1) @Max(100_000) RATE_LIMIT_PER_MINUTE?: number;
  @IsOptional() @IsString() CORS_ORIGINS?: string;
  @IsOptional() @IsInt() @Min(1) @Max(1_000_000_000_000) TOKEN_BUDGET_PER_KEY_PER_DAY?: number;
  @IsOptional() @IsIn(['development', 'production', 'test']) NODE_ENV?: string;
}

export interface SecurityConfig {
  /** Accepted client keys; empty means the service runs open (refused in production). Never logged. */
  apiKeys: string[];
  rateLimitPerMinute: number;
  /** Origins allowed by CORS; empty means CORS is off. */
  corsOrigins: string[];
  /** Tokens (input + output, every attempt) one client may spend per UTC day; undefined means unlimited. */
  tokenBudgetPerDay: number | undefined;
}

const MIN_KEY_LENGTH = 16;

export function loadSecurityConfig(env: Environment): SecurityConfig {
  const parsed = validateEnvironment(SecurityEnvironment, env);
  const apiKeys = (parsed.API_KEYS ?? '')
    .split(',')
    .map((key) => key.trim())
    .filter((key) => key.length > 0);
  const problems: string[] = [];
  if (apiKeys.some((key) => key.length < MIN_KEY_LENGTH)) {
    problems.push(`API_KEYS: every key must be at least ${MIN_KEY_LENGTH} characters`);
  }
  if (parsed.NODE_ENV === 'production' && apiKeys.length === 0) {
    problems.push('API_KEYS: with NODE_ENV=production at least one client API key must be set');
  }
  if (problems.length > 0) throw new ConfigValidationError(problems);
  return {
    apiKeys,
    rateLimitPerMinute: parsed.RATE_LIMIT_PER_MINUTE ?? 60,
    corsOrigins: (parsed.CORS_ORIGINS ?? '')
      .split(',')
      .map((origin) => origin.trim())
      .filter((origin) => origin.length > 0),
    tokenBudgetPerDay: parsed.TOKEN_BUDGET_PER_KEY_PER_DAY,
  };
}

/** Injection token of the validated `security` namespace (provided by ConfigurationModule). */
export const SECURITY_CONFIG = Symbol('SECURITY_CONFIG');
