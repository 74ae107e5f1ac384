import { randomUUID } from 'node:crypto';
import {
  asObject,
  Dialect,
  dig,
  errorMessage,
  frame,
  numberAt,
  ParsedCall,
  StreamPlan,
} from '../dialect';

/** Reasoning tokens an OpenAI reasoning model spends by `reasoning_effort` (its default is medium). */
const REASONING_BY_EFFORT: Record<string, number> = {
  minimal: 0,
  low: 300,
  medium: 1_200,
  high: 2_500,
};

/**
 * A schema given as an instruction, as to a server without native JSON Schema output ("… valid against this JSON
 * Schema: {…}" in a system turn): the simulated model follows it as a real one would.
 */
function instructedSchema(body: Record<string, unknown>): Record<string, unknown> | undefined {
  const messages = Array.isArray(body.messages) ? (body.messages as unknown[]) : [];
  for (const message of messages) {
    if (dig(message, 'role') !== 'system') continue;
    const content = dig(message, 'content');
    const at = typeof content === 'string' ? content.indexOf('JSON Schema: {') : -1;
    if (at < 0) continue;
    try {
      return asObject(JSON.parse((content as string).slice(at + 'JSON Schema: '.length)));
    } catch {
      continue;
    }
  }
  return undefined;
}

/** OpenAI Chat Completions: `POST /v1/chat/completions`, `response_format`, SSE chunks ending in `[DONE]`. */
export const openAiDialect: Dialect = {
  provider: 'openai',
  overloadedStatus: 503,

  route: (path, body) =>
    path === '/v1/chat/completions'
      ? { model: String(body.model), stream: body.stream === true }
      : undefined,

  schemaOf: (body) =>
    dig(body, 'response_format', 'type') === 'json_schema'
      ? asObject(dig(body, 'response_format', 'json_schema', 'schema'))
      : instructedSchema(body),

  wantsJsonObject: (body) => dig(body, 'response_format', 'type') === 'json_object',

  thinking: (call) => {
    const limit = numberAt(call.body, 'max_completion_tokens') ?? numberAt(call.body, 'max_tokens');
    if (!/^(?:[\w-]+\/)?(o\d|gpt-5)/.test(call.model)) return { thoughts: 0, limit };
    const effort = dig(call.body, 'reasoning_effort');
    return {
      thoughts: REASONING_BY_EFFORT[typeof effort === 'string' ? effort : 'medium'] ?? 1_200,
      limit,
    };
  },

  answer: (call, text, ending, promptTokens, _toolInput, thoughtTokens = 0) =>
    completion(
      call,
      { role: 'assistant', content: text, refusal: null },
      ending === 'complete' ? 'stop' : 'length',
      {
        prompt_tokens: promptTokens,
        completion_tokens: Math.ceil(text.length / 4) + thoughtTokens,
        ...(thoughtTokens > 0
          ? { completion_tokens_details: { reasoning_tokens: thoughtTokens } }
          : {}),
      },
    ),

  blocked: (call, promptTokens) =>
    completion(
      call,
      { role: 'assistant', content: null, refusal: 'I cannot help with that.' },
      'content_filter',
      { prompt_tokens: promptTokens, completion_tokens: 0 },
    ),

  failure: (status, code) => ({
    status,
    body: {
      error: {
        message: errorMessage(status),
        type: status >= 500 ? 'server_error' : 'invalid_request_error',
        param: null,
        code: code ?? null,
      },
    },
  }),

  invalidKey: () => openAiDialect.failure(401, 'invalid_api_key'),

  // OpenAI refuses content it will not process with a 400 (type invalid_request_error, code content_policy_violation).
  contentPolicy: () => ({
    status: 400,
    body: {
      error: {
        message: 'Your request was rejected as a result of our safety system.',
        type: 'invalid_request_error',
        param: null,
        code: 'content_policy_violation',
      },
    },
  }),

  toolCall: (call, toolCall, promptTokens) =>
    completion(
      call,
      {
        role: 'assistant',
        content: null,
        refusal: null,
        tool_calls: [
          {
            id: toolCall.id,
            type: 'function',
            function: { name: toolCall.name, arguments: JSON.stringify(toolCall.args) },
          },
        ],
      },
      'tool_calls',
      { prompt_tokens: promptTokens, completion_tokens: 12 },
    ),

  toolCallFrames: (call, toolCall) => {
    const id = `chatcmpl-${randomUUID()}`;
    const created = Math.floor(Date.now() / 1000);
    const chunk = (delta: object, finishReason: string | null) =>
      frame({
        id,
        object: 'chat.completion.chunk',
        created,
        model: call.model,
        choices: [{ index: 0, delta, finish_reason: finishReason }],
      });
    const args = JSON.stringify(toolCall.args);
    const half = Math.ceil(args.length / 2);
    const piece = (fn: object, extra: object = {}) => ({
      tool_calls: [{ index: 0, ...extra, function: fn }],
    });
    return [
      chunk({ role: 'assistant', content: null }, null),
      chunk(
        piece({ name: toolCall.name, arguments: '' }, { id: toolCall.id, type: 'function' }),
        null,
      ),
      chunk(piece({ arguments: args.slice(0, half) }), null),
      chunk(piece({ arguments: args.slice(half) }), null),
      chunk({}, 'tool_calls'),
      frame('[DONE]'),
    ];
  },

  streamFrames: (plan: StreamPlan) => {
    const id = `chatcmpl-${randomUUID()}`;
    const created = Math.floor(Date.now() / 1000);
    const chunk = (delta: object, finishReason: string | null) => ({
      id,
      object: 'chat.completion.chunk',
      created,
      model: plan.call.model,
      choices: [{ index: 0, delta, finish_reason: finishReason }],
    });
    const frames = [frame(chunk({ role: 'assistant', content: '' }, null))];
    if (plan.ending === 'blocked') {
      frames.push(
        frame(chunk({ refusal: 'I cannot help with that.' }, null)),
        frame(chunk({}, 'content_filter')),
      );
    } else {
      frames.push(...plan.chunks.map((text) => frame(chunk({ content: text }, null))));
    }
    if (plan.ending === 'no_end_marker') return frames;
    if (plan.ending !== 'blocked')
      frames.push(frame(chunk({}, plan.ending === 'complete' ? 'stop' : 'length')));
    if (dig(plan.call.body, 'stream_options', 'include_usage') === true) {
      const usage = {
        prompt_tokens: plan.promptTokens,
        completion_tokens: plan.outputTokens,
        total_tokens: plan.promptTokens + plan.outputTokens,
        prompt_tokens_details: { cached_tokens: plan.call.cache?.read ?? 0 },
      };
      frames.push(
        frame({
          id,
          object: 'chat.completion.chunk',
          created,
          model: plan.call.model,
          choices: [],
          usage,
        }),
      );
    }
    frames.push(frame('[DONE]'));
    return frames;
  },
};

function completion(
  call: ParsedCall,
  message: Record<string, unknown>,
  finishReason: string,
  usage: { prompt_tokens: number; completion_tokens: number; [detail: string]: unknown },
) {
  return {
    status: 200,
    body: {
      id: `chatcmpl-${randomUUID()}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: call.model,
      choices: [{ index: 0, message, finish_reason: finishReason }],
      usage: {
        ...usage,
        total_tokens: usage.prompt_tokens + usage.completion_tokens,
        prompt_tokens_details: { cached_tokens: call.cache?.read ?? 0 },
      },
    },
  };
}
