import { ANTHROPIC } from './anthropic.provider';
import { GEMINI } from './gemini.provider';
import { OPENAI } from './openai.provider';
import { ProviderDefinition } from './provider-settings';

export type { ProviderDefinition } from './provider-settings';

/** The registry: one line per provider strategy (a fourth provider adds its definition here and its name beside it). */
export const PROVIDERS: readonly ProviderDefinition[] = [GEMINI, OPENAI, ANTHROPIC];
