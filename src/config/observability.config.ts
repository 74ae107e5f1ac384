import { LogLevel } from '@nestjs/common';
import { IsIn, IsInt, IsOptional, IsString, IsUrl, Max, Min } from 'class-validator';
import { Environment, validateEnvironment } from './validate-environment';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type AppLogLevel = (typeof LOG_LEVELS)[number];

const URL_RULE = { require_tld: false, require_protocol: true, protocols: ['http', 'https'] };

class ObservabilityEnvironment {
  @IsOptional() @IsIn(LOG_LEVELS) LOG_LEVEL?: AppLogLevel;
  @IsOptional() @IsIn(['text', 'json']) LOG_FORMAT?: 'text' | 'json';
  @IsOptional() @IsIn(['development', 'production', 'test']) NODE_ENV?: string;
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

/** Logs, metrics and traces. */
export interface ObservabilityConfig {
  logLevel: AppLogLevel;
  logFormat: 'text' | 'json';
  /** When set, /metrics is served on this management port only, not on PORT. */
  metricsPort: number | undefined;
  tracing: TracingConfig;
}

export function loadObservabilityConfig(env: Environment): ObservabilityConfig {
  const parsed = validateEnvironment(ObservabilityEnvironment, env);
  return {
    logLevel: parsed.LOG_LEVEL ?? 'info',
    // One JSON object per line in production (log collectors), readable text elsewhere.
    logFormat: parsed.LOG_FORMAT ?? (parsed.NODE_ENV === 'production' ? 'json' : 'text'),
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

/** Injection token of the validated `observability` group (provided by ConfigurationModule). */
export const OBSERVABILITY_CONFIG = Symbol('OBSERVABILITY_CONFIG');
