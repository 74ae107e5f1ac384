import { ClassConstructor } from 'class-transformer';
import { ProviderError, RequestAbortedError } from '../llm.errors';
import { LlmProvider, ProviderRequest, ProviderResponse } from '../llm.types';
import { Route } from '../routes';
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
 * The signal one attempt runs under: the caller's signal combined with the attempt's own timer, which can be
 * (re-)armed (attempt timeout, then a stream's idle timeout). `classify` turns whatever the SDK threw after an abort into
 * what the loop understands (`classify`): `RequestAbortedError` if the caller left, `timeout` if our timer fired.
 */
export class AttemptControl {
  readonly signal: AbortSignal;
  private readonly own = new AbortController();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly route: Route,
    private readonly callerSignal: AbortSignal | undefined,
  ) {
    if (callerSignal?.aborted) throw new RequestAbortedError();
    this.signal = callerSignal ? AbortSignal.any([callerSignal, this.own.signal]) : this.own.signal;
  }

  /** Aborts the attempt if it is still running after `ms`. */
  arm(ms: number): void {
    this.disarm();
    this.timer = setTimeout(() => this.own.abort(new AttemptTimeout()), ms);
  }

  disarm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Cancels the provider call (a consumer that stopped reading a stream). */
  cancel(): void {
    this.disarm();
    this.own.abort();
  }

  /** An attempt's error as the loop's error types, to be thrown. */
  classify(error: unknown, detail?: string): unknown {
    if (this.callerSignal?.aborted) return new RequestAbortedError();
    if (this.own.signal.aborted) {
      return new ProviderError(this.route, { kind: 'timeout' }, { cause: error, detail });
    }
    return error;
  }
}

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
  const control = new AttemptControl(route, callerSignal);
  control.arm(timeoutMs);
  try {
    const response = await provider.generate(
      { ...request, model: route.model },
      { signal: control.signal, timeoutMs },
    );
    return { value: await interpret(response, route), response };
  } catch (error) {
    throw control.classify(error);
  } finally {
    control.disarm();
  }
}
