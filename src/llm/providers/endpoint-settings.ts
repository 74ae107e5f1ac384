/** What an OpenAI-compatible server may lack: native JSON Schema output, JSON mode, function calling, prefill. */
export const ENDPOINT_CAPABILITIES = ['json_schema', 'json_object', 'tools', 'prefill'] as const;
export type EndpointCapability = (typeof ENDPOINT_CAPABILITIES)[number];

/** What OpenAI's own API offers; an endpoint declares otherwise with `<PREFIX>_CAPABILITIES`. */
export const DEFAULT_ENDPOINT_CAPABILITIES: readonly EndpointCapability[] = [
  'json_schema',
  'json_object',
  'tools',
];

/**
 * A named OpenAI-compatible endpoint (LLM_ENDPOINTS=azure:https://…/openai/v1): Azure OpenAI, vLLM, Ollama, Groq,
 * Together, DeepSeek, OpenRouter. Its routes are `azure:gpt-4o-mini`; its keys and base URL come from its own
 * `<PREFIX>_*` variables like a vendor's.
 */
export interface EndpointSettings {
  name: string;
  /** `AZURE` for `azure`, `LOCAL_VLLM` for `local-vllm`: AZURE_API_KEY(S), AZURE_CAPABILITIES, AZURE_PRICING. */
  environmentPrefix: string;
  capabilities: readonly EndpointCapability[];
  /** The endpoint's provider in the maintained price data (`azure`, `groq`); none: priced only by LLM_PRICES. */
  pricingId?: string;
}
