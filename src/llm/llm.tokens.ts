/** Injection tokens of the LLM module. */
export const LLM_PROVIDERS = Symbol('LLM_PROVIDERS');
export const LLM_USABLE_CHAIN = Symbol('LLM_USABLE_CHAIN');
export const LLM_MALFORMED_EVENTS = Symbol('LLM_MALFORMED_EVENTS');
/** The retry budget's counts: this process's, or the fleet's through the coordination module. */
export const LLM_RETRY_COUNTS = Symbol('LLM_RETRY_COUNTS');
