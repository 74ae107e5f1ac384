import { IsBooleanString, IsIn, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { Environment, validateEnvironment } from './validate-environment';

class ServerEnvironment {
  @IsOptional() @IsInt() @Min(0) @Max(65535) PORT?: number;
  @IsOptional() @IsIn(['development', 'production', 'test']) NODE_ENV?: string;
  @IsOptional()
  @Matches(/^\d+(kb|mb)$/, { message: 'BODY_LIMIT must look like 100kb or 1mb' })
  BODY_LIMIT?: string;
  @IsOptional() @IsInt() @Min(0) @Max(120_000) SHUTDOWN_DRAIN_MS?: number;
  @IsOptional() @IsBooleanString() DOCS_ENABLED?: string;
  @IsOptional() @IsInt() @Min(100) @Max(600_000) STREAM_DRAIN_TIMEOUT_MS?: number;
}

/** The HTTP server: where it listens, what it accepts, how it shuts down, how long a stream may wait for a reader. */
export interface ServerConfig {
  port: number;
  production: boolean;
  bodyLimit: string;
  /** After SIGTERM, how long readiness reports 503 while requests are still served, before the server closes. */
  shutdownDrainMs: number;
  /** /docs and /docs-json: on by default outside production, off in production (DOCS_ENABLED overrides). */
  docsEnabled: boolean;
  /**
   * An event stream whose reader stops reading: how long a write waits for the socket to drain before the stream is
   * ended (STREAM_DRAIN_TIMEOUT_MS), so a slow reader never makes the process buffer a whole answer.
   */
  streamDrainTimeoutMs: number;
}

export function loadServerConfig(env: Environment): ServerConfig {
  const parsed = validateEnvironment(ServerEnvironment, env);
  const production = parsed.NODE_ENV === 'production';
  return {
    port: parsed.PORT ?? 3000,
    production,
    bodyLimit: parsed.BODY_LIMIT ?? '1mb',
    shutdownDrainMs: parsed.SHUTDOWN_DRAIN_MS ?? (production ? 5_000 : 0),
    docsEnabled: parsed.DOCS_ENABLED === undefined ? !production : parsed.DOCS_ENABLED === 'true',
    streamDrainTimeoutMs: parsed.STREAM_DRAIN_TIMEOUT_MS ?? 15_000,
  };
}

/** Injection token of the validated `server` group (provided by ConfigurationModule). */
export const SERVER_CONFIG = Symbol('SERVER_CONFIG');
