import { SpendAsk } from '../../common/spend-scope';
import { ProviderRequest } from '../llm.types';
import { estimateInputTokens } from './token-estimate';

type Costed = Pick<ProviderRequest, 'messages' | 'tools' | 'responseFormat' | 'maxOutputTokens'>;

/**
 * What each attempt of `request` may cost at worst: its whole input and the output limit it sends. A request without
 * its own limit is sent the service's (`defaultOutputTokens`, LLM_MAX_OUTPUT_TOKENS): no route is ever called
 * without one, and that limit may be lowered to what a budget has left.
 */
export function spendAsk(request: Costed, defaultOutputTokens: number): SpendAsk {
  return {
    inputTokens: estimateInputTokens(request),
    outputTokens: request.maxOutputTokens ?? defaultOutputTokens,
    flexibleOutput: request.maxOutputTokens === undefined,
  };
}

/**
 * `request` as one attempt sends it: with the output limit its hold granted. A limit lowered below the one asked for
 * (a budget nearly spent) makes a `length` finish the honest answer, not a failure to fall over from.
 */
export function withOutputLimit<
  R extends Pick<ProviderRequest, 'maxOutputTokens' | 'allowTruncation'>,
>(request: R, output: { tokens: number; lowered: boolean }): R {
  return {
    ...request,
    maxOutputTokens: output.tokens,
    allowTruncation: request.allowTruncation === true || output.lowered,
  };
}
