import { randomUUID } from 'node:crypto';
import { asObject, Dialect, dig, errorMessage, frame, ParsedCall, StreamPlan } from '../dialect';

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
      : undefined,

  wantsJsonObject: (body) => dig(body, 'response_format', 'type') === 'json_object',

  answer: (call, text, ending, promptTokens) =>
    completion(
      call,
      { role: 'assistant', content: text, refusal: null },
      ending === 'complete' ? 'stop' : 'length',
      {
        prompt_tokens: promptTokens,
        completion_tokens: Math.max(1, Math.ceil(text.length / 4)),
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
  usage: { prompt_tokens: number; completion_tokens: number },
) {
  return {
    status: 200,
    body: {
      id: `chatcmpl-${randomUUID()}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: call.model,
      choices: [{ index: 0, message, finish_reason: finishReason }],
      usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
    },
  };
}
