import { ThinkingLevel, thinkingFor, ThinkingSettings } from '../config/thinking';
import { LlmProvider, ProviderRequest } from '../llm.types';
import { ProviderName } from '../routes';
import type { NamedKey } from './key-ring';
import type { MalformedEventTally } from './sse-sanitizer';

/** What a strategy needs to build its SDK client. The key is handed to the SDK and nowhere else. */
export interface ProviderClientSettings {
  /** The provider's keys by name (one named `default` from OPENAI_API_KEY and the like); none: not configured. */
  keys: NamedKey[];
  baseUrl: string | undefined;
  /** Upper bound for one attempt; each call also gets its own (possibly shorter) timeout and signal. */
  attemptTimeoutMs: number;
  /** Streams are bounded by this, not by the attempt timeout (which only covers the wait for the first content). */
  streamMaxDurationMs: number;
  /** Thinking per route (LLM_THINKING), for calls that do not set their own. */
  thinking: ThinkingSettings;
  /** A cache breakpoint after a system prompt and tools this long when a request marks none (Anthropic). */
  autoCacheMinTokens?: number;
  /** Where malformed stream events, dropped before the SDK parses them, are counted. */
  malformedEvents?: MalformedEventTally;
}

/** What the layer knows of a provider before any client exists: its name, its variables, how to build its strategy. */
export interface ProviderDefinition {
  name: ProviderName;
  /** `OPENAI` reads OPENAI_API_KEY and OPENAI_BASE_URL. */
  environmentPrefix: string;
  /** The provider's id in the maintained price data (`@pydantic/genai-prices`); none: priced by LLM_PRICES only. */
  pricingId?: string;
  create(settings: ProviderClientSettings): LlmProvider;
}

/** The thinking level of one call: its own, else the route's. */
export function thinkingOf(
  settings: Pick<ProviderClientSettings, 'thinking'>,
  provider: ProviderName,
  request: ProviderRequest,
): ThinkingLevel {
  return request.thinking ?? thinkingFor(settings.thinking, { provider, model: request.model });
}

/** The output limit with the thinking headroom added (no limit stays no limit). */
export function withHeadroom(
  maxOutputTokens: number | undefined,
  headroom: number,
): number | undefined {
  return maxOutputTokens === undefined ? undefined : maxOutputTokens + headroom;
}
