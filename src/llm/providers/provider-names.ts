/** The vendors the LLM layer has a strategy of its own for (see `registry.ts`); a new vendor adds its name here. */
export const PROVIDER_NAMES = ['openai', 'anthropic', 'gemini'] as const;
export type VendorName = (typeof PROVIDER_NAMES)[number];

/**
 * A provider a route can name: one of the vendors, or a named OpenAI-compatible endpoint (LLM_ENDPOINTS, such as
 * `azure` or `local`). Which names exist is configuration; `PROVIDER_ID` is the form every name has.
 */
export type ProviderName = string;

/** Lower-case letters, digits, `_` and `-`, starting with a letter: `openai`, `azure`, `local-vllm`. */
export const PROVIDER_ID = /^[a-z][a-z0-9_-]{0,31}$/;
