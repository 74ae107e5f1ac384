/** Every provider the LLM layer has a strategy for (see `registry.ts`); a new provider adds its name here. */
export const PROVIDER_NAMES = ['openai', 'anthropic', 'gemini'] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];
