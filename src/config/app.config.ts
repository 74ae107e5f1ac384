import { LogLevel } from '@nestjs/common';
import {
  IsBooleanString,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
} from 'class-validator';
import { Environment, validateEnvironment } from './validate-environment';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type AppLogLevel = (typeof LOG_LEVELS)[number];

const URL_RULE = { require_tld: false, require_protocol: true, protocols: ['http', 'https'] };

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
  @IsOptional() @IsUrl(URL_RULE) OTEL_EXPORTER_OTLP_ENDPOINT?: string;
  @IsOptional() @IsUrl(URL_RULE) OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?: string;
  @IsOptional() @IsIn(['http/protobuf', 'http/json']) OTEL_EXPORTER_OTLP_PROTOCOL?: string;
  @IsOptional() @IsString() OTEL_SERVICE_NAME?: string;
}

/** OpenTelemetry tracing from the standard OTEL_* variables; off unless an OTLP endpoint is set. */
export interface TracingConfig {
  /** Where spans go: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as is, else OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces. */
  tracesUrl: string | undefined;
  protocol: 'http/protobuf' | 'http/json';
  serviceName: string;
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
  tracing: TracingConfig;
}

export function loadAppConfig(env: Environment): AppConfig {
  const parsed = validateEnvironment(AppEnvironment, env);
  return {
    port: parsed.PORT ?? 3000,
    logLevel: parsed.LOG_LEVEL ?? 'info',
    // One JSON object per line in production (log collectors), readable text elsewhere.
    logFormat: parsed.LOG_FORMAT ?? (parsed.NODE_ENV === 'production' ? 'json' : 'text'),
    production: parsed.NODE_ENV === 'production',
    bodyLimit: parsed.BODY_LIMIT ?? '1mb',
    shutdownDrainMs: parsed.SHUTDOWN_DRAIN_MS ?? (parsed.NODE_ENV === 'production' ? 5_000 : 0),
    docsEnabled:
      parsed.DOCS_ENABLED === undefined
        ? parsed.NODE_ENV !== 'production'
        : parsed.DOCS_ENABLED === 'true',
    metricsPort: parsed.METRICS_PORT,
    tracing: {
      tracesUrl:
        parsed.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
        (parsed.OTEL_EXPORTER_OTLP_ENDPOINT
          ? `${parsed.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`
          : undefined),
      protocol: parsed.OTEL_EXPORTER_OTLP_PROTOCOL === 'http/json' ? 'http/json' : 'http/protobuf',
      serviceName: parsed.OTEL_SERVICE_NAME ?? 'resilient-llm-backend',
    },
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
