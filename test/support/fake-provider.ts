import { FailureKind, ProviderError } from '../../src/llm/llm.errors';
import {
  LlmProvider,
  ProviderCallOptions,
  ProviderRequest,
  ProviderResponse,
  SamplingParameter,
  StreamEvent,
} from '../../src/llm/llm.types';
import { ProviderName } from '../../src/llm/routes';

/** What a fake provider does with its next call on a model. */
export type Step =
  | { kind: FailureKind; status?: number; retryAfterMs?: number }
  | { text: string }
  | 'hang'
  /** Streams: a first chunk, then the connection drops. */
  | 'cut'
  /** Streams: the answer's first chunk, then silence until the call is aborted. */
  | { stall: string };

/** A provider that plays a script per model and records what it was asked. */
export class FakeProvider implements LlmProvider {
  readonly configured = true;
  readonly telemetryName = 'fake';
  readonly supports = new Set<SamplingParameter>();
  readonly calls: Array<{ model: string; request: ProviderRequest; timeoutMs: number }> = [];
  private readonly scripts = new Map<string, Step[]>();

  constructor(readonly name: ProviderName) {}

  acceptsPrefill(): boolean {
    return this.name === 'gemini';
  }

  script(model: string, ...steps: Step[]): this {
    this.scripts.set(model, [...(this.scripts.get(model) ?? []), ...steps]);
    return this;
  }

  async generate(
    request: ProviderRequest,
    options: ProviderCallOptions,
  ): Promise<ProviderResponse> {
    this.calls.push({ model: request.model, request, timeoutMs: options.timeoutMs });
    const step = this.scripts.get(request.model)?.shift() ?? { text: '{"text":"hello"}' };
    if (step === 'hang') {
      await new Promise((_resolve, reject) =>
        options.signal.addEventListener('abort', () => reject(new Error('aborted'))),
      );
    }
    if (typeof step === 'object' && 'kind' in step) {
      throw new ProviderError({ provider: this.name, model: request.model }, step);
    }
    return {
      text: (step as { text: string }).text,
      usage: { inputTokens: 10, outputTokens: 5 },
      finish: 'stop',
    };
  }

  async *stream(
    request: ProviderRequest,
    options: ProviderCallOptions,
  ): AsyncIterable<StreamEvent> {
    this.calls.push({ model: request.model, request, timeoutMs: options.timeoutMs });
    const route = { provider: this.name, model: request.model };
    const step = this.scripts.get(request.model)?.shift() ?? { text: 'Hello there' };
    if (step === 'hang') {
      await new Promise((_resolve, reject) =>
        options.signal.addEventListener('abort', () => reject(new Error('aborted'))),
      );
    }
    if (typeof step === 'object' && 'kind' in step) throw new ProviderError(route, step);
    if (step === 'cut') {
      yield { type: 'text', text: 'Hel' };
      throw new ProviderError(route, { kind: 'network' });
    }
    const stalls = typeof step === 'object' && 'stall' in step;
    const full = stalls ? step.stall : (step as { text: string }).text;
    // A continuation request (the partial answer as a final assistant turn): the rest of the answer.
    const last = request.messages[request.messages.length - 1];
    const text =
      last?.role === 'assistant' && full.startsWith(last.content)
        ? full.slice(last.content.length)
        : full;
    yield { type: 'text', text: text.slice(0, 3) };
    if (stalls) {
      await new Promise((_resolve, reject) =>
        options.signal.addEventListener('abort', () => reject(new Error('aborted'))),
      );
    }
    yield { type: 'text', text: text.slice(3) };
    yield { type: 'end', finish: 'stop', usage: { inputTokens: 10, outputTokens: 5 } };
  }
}
