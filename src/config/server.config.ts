import {
  IsBooleanString,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
} from 'class-validator';
import { ConfigValidationError, Environment, validateEnvironment } from './validate-environment';

class ServerEnvironment {
  @IsOptional() @IsInt() @Min(0) @Max(65535) PORT?: number;
  @IsOptional()
  @IsString()
  @Matches(/^[0-9A-Za-z.:%-]{1,64}$/, { message: 'HOST must be an address or a host name' })
  HOST?: string;
  @IsOptional() @IsInt() @Min(1_000) @Max(300_000) HEADERS_TIMEOUT_MS?: number;
  @IsOptional() @IsInt() @Min(1_000) @Max(600_000) REQUEST_TIMEOUT_MS?: number;
  @IsOptional() @IsInt() @Min(1_000) @Max(600_000) KEEP_ALIVE_TIMEOUT_MS?: number;
  @IsOptional() @IsInt() @Min(1) @Max(1_000_000) MAX_CONNECTIONS?: number;
  @IsOptional() @IsIn(['development', 'production', 'test']) NODE_ENV?: string;
  @IsOptional()
  @Matches(/^\d+(kb|mb)$/, { message: 'BODY_LIMIT must look like 100kb or 1mb' })
  BODY_LIMIT?: string;
  @IsOptional() @IsInt() @Min(0) @Max(120_000) SHUTDOWN_DRAIN_MS?: number;
  @IsOptional() @IsBooleanString() DOCS_ENABLED?: string;
  @IsOptional() @IsInt() @Min(100) @Max(600_000) STREAM_DRAIN_TIMEOUT_MS?: number;
  @IsOptional() @IsBooleanString() SIMULATOR_CONTROL?: string;
}

/** The HTTP server: where it listens, what it accepts, how it shuts down, how long a stream may wait for a reader. */
/** How long a client may take to send its request, and how many connections the server holds. */
export interface ServerTimeouts {
  /** The request's headers must arrive within this (HEADERS_TIMEOUT_MS); else 408 and the connection closes. */
  headersTimeoutMs: number;
  /**
   * The whole request (headers and body) must arrive within this (REQUEST_TIMEOUT_MS). Answers are not bounded by it:
   * a stream can run as long as LLM_STREAM_MAX_DURATION_MS allows.
   */
  requestTimeoutMs: number;
  /** An idle kept-alive connection closes after this (KEEP_ALIVE_TIMEOUT_MS). */
  keepAliveTimeoutMs: number;
  /** Connections held at once (MAX_CONNECTIONS); more are refused at once. */
  maxConnections: number;
}

export interface ServerConfig {
  port: number;
  /** The address to listen on (HOST): every interface (`::`) unless set. */
  host: string;
  timeouts: ServerTimeouts;
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
  /** The embedded simulator's control API (`/__simulator/*`): off unless SIMULATOR_CONTROL=true. */
  simulatorControl: boolean;
}

export function loadServerConfig(env: Environment): ServerConfig {
  const parsed = validateEnvironment(ServerEnvironment, env);
  const production = parsed.NODE_ENV === 'production';
  const timeouts: ServerTimeouts = {
    headersTimeoutMs: parsed.HEADERS_TIMEOUT_MS ?? 10_000,
    requestTimeoutMs: parsed.REQUEST_TIMEOUT_MS ?? 30_000,
    keepAliveTimeoutMs: parsed.KEEP_ALIVE_TIMEOUT_MS ?? 5_000,
    maxConnections: parsed.MAX_CONNECTIONS ?? 4_096,
  };
  if (timeouts.headersTimeoutMs > timeouts.requestTimeoutMs)
    throw new ConfigValidationError(['HEADERS_TIMEOUT_MS: must not exceed REQUEST_TIMEOUT_MS']);
  return {
    port: parsed.PORT ?? 3000,
    host: parsed.HOST ?? '::',
    timeouts,
    production,
    bodyLimit: parsed.BODY_LIMIT ?? '1mb',
    shutdownDrainMs: parsed.SHUTDOWN_DRAIN_MS ?? (production ? 5_000 : 0),
    // Outside production, and not on a service with keys (the document lists every endpoint): DOCS_ENABLED overrides.
    docsEnabled:
      parsed.DOCS_ENABLED === undefined
        ? !production && (env.API_KEYS ?? '').trim() === ''
        : parsed.DOCS_ENABLED === 'true',
    streamDrainTimeoutMs: parsed.STREAM_DRAIN_TIMEOUT_MS ?? 15_000,
    simulatorControl: parsed.SIMULATOR_CONTROL === 'true',
  };
}

/** Injection token of the validated `server` group (provided by ConfigurationModule). */
export const SERVER_CONFIG = Symbol('SERVER_CONFIG');
