import { createHash, createHmac } from 'node:crypto';
import { IsIn, IsInt, IsNumber, IsOptional, IsString, Max, Min } from 'class-validator';
import { ConfigValidationError, Environment, validateEnvironment } from './validate-environment';

class SecurityEnvironment {
  @IsOptional() @IsString() API_KEYS?: string;
  @IsOptional() @IsString() API_KEY_FINGERPRINT_SECRET?: string;
  @IsOptional() @IsInt() @Min(1) @Max(100_000) RATE_LIMIT_PER_MINUTE?: number;
  @IsOptional() @IsInt() @Min(1) @Max(100_000) AUTH_FAILURES_PER_MINUTE?: number;
  @IsOptional() @IsString() CORS_ORIGINS?: string;
  @IsOptional() @IsInt() @Min(1) @Max(1_000_000_000_000) TOKEN_BUDGET_PER_KEY_PER_DAY?: number;
  @IsOptional() @IsInt() @Min(1) @Max(1_000_000_000_000) TOKEN_BUDGET_TOTAL_PER_DAY?: number;
  @IsOptional() @IsNumber() @Min(0.000001) @Max(1_000_000_000) USD_BUDGET_PER_KEY_PER_DAY?: number;
  @IsOptional() @IsInt() @Min(1) @Max(10_000) MAX_IN_FLIGHT_PER_KEY?: number;
  @IsOptional() @IsIn(['development', 'production', 'test']) NODE_ENV?: string;
}

/** A client key and the id it is known by in logs, metrics and budgets (never the key, nor a plain hash of it). */
export interface ClientKey {
  /** Never logged, never returned. */
  key: string;
  /** The operator's name for it (`API_KEYS=name:key`), else an HMAC fingerprint under a server secret. */
  id: string;
}

export interface SecurityConfig {
  /**
   * Accepted client keys; empty means the service runs open (refused in production). A key's id owns what it
   * generates (profiles, lessons) and keys its budget and rate limit.
   */
  apiKeys: ClientKey[];
  rateLimitPerMinute: number;
  /** Failed authentications one client address may make per minute before it gets 429s without a check. */
  authFailuresPerMinute: number;
  /** Origins allowed by CORS; empty means CORS is off. */
  corsOrigins: string[];
  /** Tokens (input + output, every attempt) one client may spend per UTC day; undefined means unlimited. */
  tokenBudgetPerDay: number | undefined;
  /** Tokens all clients together may spend per UTC day; undefined means unlimited. */
  tokenBudgetTotalPerDay: number | undefined;
  /** Estimated USD one client may spend per UTC day (priced routes; see Prices); undefined means unlimited. */
  usdBudgetPerDay: number | undefined;
  /** Generating requests one client may have running at once (across replicas with Redis). */
  maxInFlightPerKey: number;
}

const MIN_KEY_LENGTH = 16;
/** A production key must carry this much entropy (bits), as its characters' spread estimates it. */
const MIN_KEY_BITS = 128;
const PLACEHOLDER =
  /change-?me|placeholder|example|your[-_ ]?(api[-_ ]?)?key|replace[-_ ]?me|dummy|secret-?key|x{6,}/i;
const NAMED_KEY = /^([A-Za-z][A-Za-z0-9_.-]{0,31}):(.+)$/;

/** Bits of entropy in `key`, estimated from how its characters are spread (Shannon, per character × length). */
export function keyEntropyBits(key: string): number {
  const counts = new Map<string, number>();
  for (const character of key) counts.set(character, (counts.get(character) ?? 0) + 1);
  let perCharacter = 0;
  for (const count of counts.values()) {
    const share = count / key.length;
    perCharacter -= share * Math.log2(share);
  }
  return perCharacter * key.length;
}

/**
 * `API_KEYS` entries as client keys: `name:key` keeps the operator's name; a bare key is known by an HMAC of it under
 * API_KEY_FINGERPRINT_SECRET, or, without one, under a secret derived from the whole set of keys (the same on every
 * replica; without every key nobody can confirm a guess at one from its fingerprint).
 */
function clientKeys(
  entries: string[],
  secret: string | undefined,
): Array<ClientKey & { named: boolean }> {
  const parsed = entries.map((entry) => {
    const named = NAMED_KEY.exec(entry);
    return named ? { name: named[1], key: named[2].trim() } : { name: undefined, key: entry };
  });
  const hmacSecret =
    secret ??
    createHash('sha256')
      .update(
        parsed
          .map((entry) => entry.key)
          .sort()
          .join('\n'),
      )
      .digest('hex');
  return parsed.map(({ name, key }) => ({
    key,
    id: name ?? createHmac('sha256', hmacSecret).update(key).digest('hex').slice(0, 16),
    named: name !== undefined,
  }));
}

export function loadSecurityConfig(env: Environment): SecurityConfig {
  const parsed = validateEnvironment(SecurityEnvironment, env);
  const entries = (parsed.API_KEYS ?? '')
    .split(',')
    .map((key) => key.trim())
    .filter((key) => key.length > 0);
  const apiKeys = clientKeys(entries, parsed.API_KEY_FINGERPRINT_SECRET);
  const production = parsed.NODE_ENV === 'production';
  const problems: string[] = [];
  if (apiKeys.some(({ key }) => key.length < MIN_KEY_LENGTH))
    problems.push(`API_KEYS: every key must be at least ${MIN_KEY_LENGTH} characters`);
  if (new Set(apiKeys.map(({ id }) => id)).size !== apiKeys.length)
    problems.push('API_KEYS: every key must have a name of its own');
  if (production && apiKeys.length === 0)
    problems.push('API_KEYS: with NODE_ENV=production at least one client API key must be set');
  if (production && apiKeys.some(({ key }) => PLACEHOLDER.test(key)))
    problems.push('API_KEYS: with NODE_ENV=production no key may contain placeholder text');
  if (production && apiKeys.some(({ key }) => keyEntropyBits(key) < MIN_KEY_BITS))
    problems.push(
      `API_KEYS: with NODE_ENV=production every key needs at least ${MIN_KEY_BITS} bits of entropy (for example 32 random base64 characters: openssl rand -base64 32)`,
    );
  // A key's id owns its profiles and lessons and keys its budget: it must not change when another key is added.
  if (
    production &&
    parsed.API_KEY_FINGERPRINT_SECRET === undefined &&
    apiKeys.some((key) => !key.named)
  )
    problems.push(
      'API_KEYS: with NODE_ENV=production name every key (API_KEYS=name:key,…) or set API_KEY_FINGERPRINT_SECRET, so that key ids stay stable',
    );
  if (problems.length > 0) throw new ConfigValidationError(problems);
  return {
    apiKeys: apiKeys.map(({ key, id }) => ({ key, id })),
    rateLimitPerMinute: parsed.RATE_LIMIT_PER_MINUTE ?? 60,
    authFailuresPerMinute: parsed.AUTH_FAILURES_PER_MINUTE ?? 20,
    corsOrigins: (parsed.CORS_ORIGINS ?? '')
      .split(',')
      .map((origin) => origin.trim())
      .filter((origin) => origin.length > 0),
    tokenBudgetPerDay: parsed.TOKEN_BUDGET_PER_KEY_PER_DAY,
    tokenBudgetTotalPerDay: parsed.TOKEN_BUDGET_TOTAL_PER_DAY,
    usdBudgetPerDay: parsed.USD_BUDGET_PER_KEY_PER_DAY,
    maxInFlightPerKey: parsed.MAX_IN_FLIGHT_PER_KEY ?? 8,
  };
}

/** Injection token of the validated `security` namespace (provided by ConfigurationModule). */
export const SECURITY_CONFIG = Symbol('SECURITY_CONFIG');
