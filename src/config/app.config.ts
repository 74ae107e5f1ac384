import { LogLevel } from '@nestjs/common';
import { IsBooleanString, IsIn, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { Environment, validateEnvironment } from './validate-environment';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type AppLogLevel = (typeof LOG_LEVELS)[number];

class AppEnvironment {
  @IsOptional() @IsInt() @Min(0) @Max(65535) PORT?: number;
  @IsOptional() @IsIn(LOG_LEVELS) LOG_LEVEL?: AppLogLevel;
  @IsOptional() @IsIn(['text', 'json']) LOG_FORMAT?: 'text' | 'json';
  @IsOptional() @IsIn(['development', 'production', 'test']) NODE_ENV?: string;
  @IsOptional()
  @Matches(/^\d+(kb|mb)$/, { message: 'BODY_LIMIT must look like 100kb or 1mb' })
  BODY_LIMIT?: string;
  @IsOptional() @IsInt() @Min(0) @Max(120_000) SHUTDOWN_DRAIN_MS?: number;
  @IsOptional() @IsBooleanString() DOCS_ENABLED?: string;
  @IsOptional() @IsInt() @Min(1) @Max(65535) METRICS_PORT?: number;
}

export interface AppConfig {
  port: number;
  logLevel: AppLogLevel;
  logFormat: 'text' | 'json';
  production: boolean;
  bodyLimit: string;
  /** After SIGTERM, how long readiness reports 503 while requests are still served, before the server closes. */
  shutdownDrainMs: number;
  /** /docs and /docs-json: on by default outside production, off in production (DOCS_ENABLED overrides). */
  docsEnabled: boolean;
  /** When set, /metrics is served on this management port only, not on PORT. */
  metricsPort: number | undefined;
}

export function loadAppConfig(env: Environment): AppConfig {
  const parsed = validateEnvironment(AppEnvironment, env);
  return {
    port: parsed.PORT ?? 3000,
    logLevel: parsed.LOG_LEVEL ?? 'info',
    logFormat: parsed.LOG_FORMAT ?? 'text',
    production: parsed.NODE_ENV === 'production',
    bodyLimit: parsed.BODY_LIMIT ?? '1mb',
    shutdownDrainMs: parsed.SHUTDOWN_DRAIN_MS ?? (parsed.NODE_ENV === 'production' ? 5_000 : 0),
    docsEnabled:
      parsed.DOCS_ENABLED === undefined
        ? parsed.NODE_ENV !== 'production'
        : parsed.DOCS_ENABLED === 'true',
    metricsPort: parsed.METRICS_PORT,
  };
}

/** Nest's levels for each LOG_LEVEL: `info` is Nest's `log`. */
export function nestLogLevels(level: AppLogLevel): LogLevel[] {
  const order: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];
  const cut = { error: 2, warn: 3, info: 4, debug: 5 }[level];
  return order.slice(0, cut);
}

/** Injection token of the validated `app` namespace (provided by ConfigurationModule). */
export const APP_CONFIG = Symbol('APP_CONFIG');
