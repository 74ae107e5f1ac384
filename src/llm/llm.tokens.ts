/** Injection tokens of the LLM module. */
export const LLM_PROVIDERS = Symbol('LLM_PROVIDERS');
export const LLM_USABLE_CHAIN = Symbol('LLM_USABLE_CHAIN');
export const LLM_MALFORMED_EVENTS = Symbol('LLM_MALFORMED_EVENTS');
