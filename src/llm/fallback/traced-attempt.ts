import { Attributes, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { ProviderError, RequestAbortedError } from '../llm.errors';
import { LlmProvider, TokenUsage } from '../llm.types';
import { Route } from '../routes';
import type { AttemptEntry } from './request-ledger';

const tracer = trace.getTracer('resilient-llm-backend/llm');

/** One attempt's work on one route: a call, or a stream opened up to its first content. */
export type AttemptOnRoute<T> = (
  target: {
    route: Route;
    provider: LlmProvider;
    timeoutMs: number;
    /** The output limit to send: the one asked for, or lower (`lowered`) when the budget had less left. */
    output: { tokens: number; lowered: boolean };
  },
  entry: AttemptEntry,
) => Promise<{ value: T; usage?: TokenUsage; key?: string }>;

/**
 * One attempt on one route, in its own trace span (GenAI attributes). A ProviderError comes back as a value; a
 * caller that left (RequestAbortedError) and anything unexpected are thrown.
 */
export function tracedAttempt<T>(
  target: Parameters<AttemptOnRoute<T>>[0],
  entry: AttemptEntry,
  attemptOnRoute: AttemptOnRoute<T>,
): Promise<{ value: T; usage?: TokenUsage } | ProviderError> {
  const { route, provider } = target;
  const attributes: Attributes = {
    'gen_ai.operation.name': 'chat',
    'gen_ai.provider.name': provider.telemetryName,
    'gen_ai.system': route.provider,
    'gen_ai.request.model': route.model,
  };
  return tracer.startActiveSpan(
    `chat ${route.model}`,
    { kind: SpanKind.CLIENT, attributes },
    async (span) => {
      try {
        const value = await attemptOnRoute(target, entry);
        span.setAttribute('gen_ai.response.model', route.model);
        // Which of the provider's keys answered, by name (OPENAI_API_KEYS=name:key,…).
        if (value.key) span.setAttribute('llm.provider.key', value.key);
        if (value.usage) {
          span.setAttribute('gen_ai.usage.input_tokens', value.usage.inputTokens);
          span.setAttribute('gen_ai.usage.output_tokens', value.usage.outputTokens);
        }
        return value;
      } catch (error) {
        const kind =
          error instanceof RequestAbortedError
            ? 'client_aborted'
            : error instanceof ProviderError
              ? error.kind
              : undefined;
        if (kind === undefined) throw error;
        span.setAttribute('error.type', kind);
        if (error instanceof ProviderError && error.key)
          span.setAttribute('llm.provider.key', error.key);
        if (error instanceof ProviderError && error.status !== undefined)
          span.setAttribute('http.response.status_code', error.status);
        span.setStatus({ code: SpanStatusCode.ERROR, message: kind });
        if (error instanceof RequestAbortedError) throw error;
        return error as ProviderError;
      } finally {
        span.end();
      }
    },
  );
}
