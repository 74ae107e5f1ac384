import { registerAs } from '@nestjs/config';
import {
  IsBooleanString,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Max,
  Min,
} from 'class-validator';
import {
  buildChain,
  defaultFallbacks,
  isValidModelName,
  parseRouteList,
  PROVIDER_NAMES,
  ProviderName,
  Route,
  RouteParseError,
} from '../llm/routes';
import { ConfigValidationError, validateEnvironment } from './validate-environment';

const URL_RULE = { require_tld: false, require_protocol: true, protocols: ['http', 'https'] };

class LlmEnvironment {
  @IsOptional() @IsIn(PROVIDER_NAMES) LLM_PROVIDER?: ProviderName;
  @IsOptional() @IsString() LLM_MODEL?: string;
  @IsOptional() @IsString() LLM_FALLBACKS?: string;
  @IsOptional() @IsInt() @Min(100) @Max(600_000) LLM_ATTEMPT_TIMEOUT_MS?: number;
  @IsOptional() @IsInt() @Min(100) @Max(900_000) LLM_REQUEST_TIMEOUT_MS?: number;
  @IsOptional() @IsBooleanString() LLM_SIMULATOR?: string;
  @IsOptional() @IsString() OPENAI_API_KEY?: string;
  @IsOptional() @IsString() ANTHROPIC_API_KEY?: string;
  @IsOptional() @IsString() GEMINI_API_KEY?: string;
  @IsOptional() @IsUrl(URL_RULE) OPENAI_BASE_URL?: string;
  @IsOptional() @IsUrl(URL_RULE) ANTHROPIC_BASE_URL?: string;
  @IsOptional() @IsUrl(URL_RULE) GEMINI_BASE_URL?: string;
  @IsOptional() @IsIn(['development', 'production', 'test']) NODE_ENV?: string;
}

export interface ProviderSettings {
  /** Never logged, never returned: only handed to the SDK client. */
  apiKey: string | undefined;
  baseUrl: string | undefined;
}

export interface LlmConfig {
  /** The configured chain, primary first, before routes without a key are dropped. */
  chain: Route[];
  providers: Record<ProviderName, ProviderSettings>;
  attemptTimeoutMs: number;
  requestTimeoutMs: number;
  /**
   * `on`: every provider is served by the embedded simulator (explicit LLM_SIMULATOR=true, or no key at all
   * outside production). `off`: real providers.
   */
  simulator: 'on' | 'off';
  /** Why the simulator is on, for the boot warning. */
  simulatorReason?: string;
}

export function loadLlmConfig(env: NodeJS.ProcessEnv = process.env): LlmConfig {
  const parsed = validateEnvironment(LlmEnvironment, env);
  const problems: string[] = [];

  const primaryProvider = parsed.LLM_PROVIDER ?? 'gemini';
  const primaryModel = parsed.LLM_MODEL?.trim() ?? 'gemini-3-flash-preview';
  if (!isValidModelName(primaryModel))
    problems.push('LLM_MODEL: must be a model name (letters, digits, . _ - / @ :)');

  let fallbacks: Route[] = [];
  try {
    fallbacks =
      parsed.LLM_FALLBACKS === undefined
        ? defaultFallbacks(primaryProvider)
        : parseRouteList(parsed.LLM_FALLBACKS);
  } catch (error) {
    if (!(error instanceof RouteParseError)) throw error;
    problems.push(`LLM_FALLBACKS: ${error.message}`);
  }

  const attemptTimeoutMs = parsed.LLM_ATTEMPT_TIMEOUT_MS ?? 60_000;
  const requestTimeoutMs = parsed.LLM_REQUEST_TIMEOUT_MS ?? 120_000;
  if (attemptTimeoutMs > requestTimeoutMs) {
    problems.push('LLM_ATTEMPT_TIMEOUT_MS: must not exceed LLM_REQUEST_TIMEOUT_MS');
  }

  const providers: Record<ProviderName, ProviderSettings> = {
    openai: { apiKey: parsed.OPENAI_API_KEY, baseUrl: parsed.OPENAI_BASE_URL },
    anthropic: { apiKey: parsed.ANTHROPIC_API_KEY, baseUrl: parsed.ANTHROPIC_BASE_URL },
    gemini: { apiKey: parsed.GEMINI_API_KEY, baseUrl: parsed.GEMINI_BASE_URL },
  };
  const anyKey = PROVIDER_NAMES.some((name) => providers[name].apiKey !== undefined);
  const production = parsed.NODE_ENV === 'production';
  const simulatorFlag =
    parsed.LLM_SIMULATOR === undefined ? undefined : parsed.LLM_SIMULATOR === 'true';

  let simulator: LlmConfig['simulator'] = 'off';
  let simulatorReason: string | undefined;
  if (simulatorFlag === true) {
    simulator = 'on';
    simulatorReason = 'LLM_SIMULATOR=true';
  } else if (!anyKey && simulatorFlag === undefined) {
    if (production) {
      problems.push(
        'OPENAI_API_KEY, ANTHROPIC_API_KEY, GEMINI_API_KEY: with NODE_ENV=production at least one key must be set (or LLM_SIMULATOR=true for simulated answers)',
      );
    } else {
      simulator = 'on';
      simulatorReason = 'no provider API key is set';
    }
  }

  if (problems.length > 0) throw new ConfigValidationError(problems);
  return {
    chain: buildChain({ provider: primaryProvider, model: primaryModel }, fallbacks),
    providers,
    attemptTimeoutMs,
    requestTimeoutMs,
    simulator,
    simulatorReason,
  };
}

export const llmConfig = registerAs('llm', () => loadLlmConfig());
