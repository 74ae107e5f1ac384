import { ClassConstructor } from 'class-transformer';
import { ProviderError, RequestAbortedError } from './llm.errors';
import { LlmProvider, ProviderRequest, ProviderResponse } from './llm.types';
import { Route } from './routes';
import { InvalidOutputError, parseStructuredOutput } from './structured-output';

/** Turns a provider's answer into the caller's value, throwing ProviderError(invalid_output) when it is unusable. */
export type Interpret<T> = (response: ProviderResponse, route: Route) => Promise<T>;

/** An interpreter that parses and validates the answer against a DTO class. */
export function interpretAs<T extends object>(dto: ClassConstructor<T>): Interpret<T> {
  return async (response, route) => {
    try {
      return await parseStructuredOutput(response.text, dto);
    } catch (error) {
      if (!(error instanceof InvalidOutputError)) throw error;
      throw new ProviderError(route, { kind: 'invalid_output' }, { detail: error.reason });
    }
  };
}

/** Why the attempt's own timer fired, to tell a hang apart from the caller leaving. */
class AttemptTimeout extends Error {}

/**
 * One call to one route, bounded by its own timer. A hang is classified from that timer, not from whatever error
 * the SDK makes of the abort. Throws `RequestAbortedError` when the caller's signal fired, else `ProviderError`.
 */
export async function attemptRoute<T>(
  provider: LlmProvider,
  route: Route,
  request: Omit<ProviderRequest, 'model'>,
  interpret: Interpret<T>,
  timeoutMs: number,
  callerSignal?: AbortSignal,
): Promise<{ value: T; response: ProviderResponse }> {
  if (callerSignal?.aborted) throw new RequestAbortedError();
  const timer = new AbortController();
  const handle = setTimeout(() => timer.abort(new AttemptTimeout()), timeoutMs);
  const signal = callerSignal ? AbortSignal.any([callerSignal, timer.signal]) : timer.signal;
  try {
    const response = await provider.generate(
      { ...request, model: route.model },
      { signal, timeoutMs },
    );
    return { value: await interpret(response, route), response };
  } catch (error) {
    if (callerSignal?.aborted) throw new RequestAbortedError();
    if (timer.signal.aborted) throw new ProviderError(route, { kind: 'timeout' }, { cause: error });
    throw error;
  } finally {
    clearTimeout(handle);
  }
}
