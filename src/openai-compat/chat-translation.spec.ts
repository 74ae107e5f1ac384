import { AllRoutesFailedError, ProviderError, RequestAbortedError } from '../llm';
import {
  attemptsHeader,
  checkSpend,
  droppedParameters,
  ignoredFields,
  OpenAiRequestError,
  resolveChain,
  streamFailureKind,
  toMessages,
  toProviderRequest,
} from './chat-translation';
import { ChatCompletionRequestDto } from './dto/chat-completion-request.dto';

const dto = (fields: Partial<ChatCompletionRequestDto>): ChatCompletionRequestDto => ({
  model: 'default',
  messages: [{ role: 'user', content: 'hi' }],
  ...fields,
});

const limits = {
  maxRequestFallbacks: 2,
  maxOutputTokens: 1_000,
  maxInputTokens: 100,
  allows: (route: { provider: string }) => route.provider !== 'anthropic',
  aliases: {
    fast: [
      { provider: 'openai' as const, model: 'o' },
      { provider: 'anthropic' as const, model: 'h' },
    ],
  },
  providers: ['openai', 'anthropic', 'gemini', 'local'],
};
const configured = [
  { provider: 'gemini' as const, model: 'g' },
  { provider: 'openai' as const, model: 'o' },
];

describe('chat translation', () => {
  it('messages: developer becomes system, text parts are joined, tool calls and results keep their ids', () => {
    expect(
      toMessages([
        { role: 'developer', content: 'rules' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'a' },
            { type: 'text', text: 'b' },
          ],
        },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }],
        },
        { role: 'tool', tool_call_id: 'c1', content: 'done' },
      ] as ChatCompletionRequestDto['messages']),
    ).toEqual([
      { role: 'system', content: 'rules' },
      { role: 'user', content: 'ab' },
      { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'f', arguments: '{}' }] },
      { role: 'tool', content: 'done', toolCallId: 'c1' },
    ]);
  });

  it('a request: its own max_tokens allows a length finish; stop as a list; reasoning effort as a thinking level', () => {
    const request = toProviderRequest(
      dto({ max_tokens: 50, stop: 'END', reasoning_effort: 'minimal', temperature: 0.2 }),
    );
    expect(request).toMatchObject({
      maxOutputTokens: 50,
      allowTruncation: true,
      stop: ['END'],
      thinking: 'off',
      temperature: 0.2,
      responseFormat: { type: 'text' },
    });
    expect(toProviderRequest(dto({})).allowTruncation).toBe(false);
  });

  it('json_schema without its schema, and a tool_choice naming no tool, are 400s naming the field', () => {
    const badFormat = () =>
      toProviderRequest(dto({ response_format: { type: 'json_schema' } as never }));
    expect(badFormat).toThrow(OpenAiRequestError);
    const badChoice = () =>
      toProviderRequest(
        dto({
          tools: [{ type: 'function', function: { name: 'f' } }] as never,
          tool_choice: { type: 'function', function: { name: 'g' } } as never,
        }),
      );
    expect(badChoice).toThrow(/tool_choice names g/);
  });

  it('the chain: default is the configured one (undefined), a route with fallbacks is its own, refusals are 400s', () => {
    const isConfigured = () => true;
    expect(resolveChain(dto({}), configured, isConfigured, limits)).toBeUndefined();
    expect(
      resolveChain(
        dto({ model: 'openai:o', fallbacks: ['gemini:g'] }),
        configured,
        isConfigured,
        limits,
      ),
    ).toEqual([
      { provider: 'openai', model: 'o' },
      { provider: 'gemini', model: 'g' },
    ]);
    expect(() => resolveChain(dto({ model: 'bogus' }), configured, isConfigured, limits)).toThrow(
      /GET \/v1\/models/,
    );
    expect(() => resolveChain(dto({ model: 'nope:x' }), configured, isConfigured, limits)).toThrow(
      /GET \/v1\/models/,
    );
    expect(() =>
      resolveChain(dto({ model: 'anthropic:x' }), configured, isConfigured, limits),
    ).toThrow(/does not allow/);
    expect(() =>
      resolveChain(
        dto({ fallbacks: ['openai:a', 'openai:b', 'openai:c'] }),
        configured,
        isConfigured,
        limits,
      ),
    ).toThrow(/At most 2 fallbacks/);
  });

  it('model names: bare, provider/model and provider:model, an alias for a whole chain, an ambiguous bare name listing the routes', () => {
    const isConfigured = () => true;
    const chain = (model: string) => resolveChain(dto({ model }), configured, isConfigured, limits);
    expect(chain('o')).toEqual([{ provider: 'openai', model: 'o' }]);
    expect(chain('openai/o')).toEqual([{ provider: 'openai', model: 'o' }]);
    expect(chain('OpenAI:o')).toEqual([{ provider: 'openai', model: 'o' }]);
    // A named endpoint is a provider like the vendors; a model name with a slash of its own stays whole.
    const withLocal = [...configured, { provider: 'local', model: 'meta-llama/Llama-3.3-70B' }];
    const local = (model: string) => resolveChain(dto({ model }), withLocal, isConfigured, limits);
    expect(local('local/meta-llama/Llama-3.3-70B')).toEqual([withLocal[2]]);
    expect(local('local:meta-llama/Llama-3.3-70B')).toEqual([withLocal[2]]);
    expect(local('meta-llama/Llama-3.3-70B')).toEqual([withLocal[2]]);
    // An alias's routes are the operator's: allowed even where a caller could not name them.
    expect(chain('fast')).toEqual(limits.aliases.fast);
    const twice = [...configured, { provider: 'anthropic' as const, model: 'o' }];
    expect(() => resolveChain(dto({ model: 'o' }), twice, isConfigured, limits)).toThrow(
      /served by several routes; name one: openai:o, anthropic:o/,
    );
  });

  it('spend: an output limit over LLM_MAX_OUTPUT_TOKENS and an input over LLM_MAX_INPUT_TOKENS are refused', () => {
    expect(() => checkSpend(toProviderRequest(dto({ max_tokens: 2_000 })), limits)).toThrow(
      /max_tokens may be at most 1000/,
    );
    const long = dto({ messages: [{ role: 'user', content: 'x'.repeat(1_000) }] });
    expect(() => checkSpend(toProviderRequest(long), limits)).toThrow(/about \d+ tokens/);
  });

  it('headers and warnings: attempts listed with statuses, no-op fields and dropped parameters named', () => {
    expect(
      attemptsHeader([
        { provider: 'gemini', model: 'g', outcome: 'overloaded', status: 503, durationMs: 1 },
        { provider: 'openai', model: 'o', outcome: 'success', durationMs: 2 },
      ]),
    ).toBe('gemini:g=overloaded(503),openai:o=success');
    expect(ignoredFields(dto({ user: 'u', store: false }))).toEqual(['store']);
    expect(
      droppedParameters(toProviderRequest(dto({ seed: 1, stop: 'x' })), new Set(['stop'])),
    ).toEqual(['seed']);
  });

  it('what ended a stream, as the error event code', () => {
    const route = { provider: 'gemini' as const, model: 'g' };
    expect(streamFailureKind(new ProviderError(route, { kind: 'timeout' }))).toBe('timeout');
    expect(streamFailureKind(new RequestAbortedError())).toBe('aborted');
    expect(streamFailureKind(new AllRoutesFailedError([], 5, 'exhausted'))).toBe(
      'all_routes_failed',
    );
    expect(streamFailureKind(new Error('boom'))).toBe('error');
  });
});
