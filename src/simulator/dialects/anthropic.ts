import { randomUUID } from 'node:crypto';
import {
  textOf,
  asObject,
  Dialect,
  dig,
  errorMessage,
  frame,
  ParsedCall,
  StreamPlan,
} from '../dialect';

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  429: 'rate_limit_error',
  500: 'api_error',
  502: 'api_error',
  503: 'api_error',
  529: 'overloaded_error',
};

/** The tool the request forces (`tool_choice: {type: "tool", name}`), if any. */
function forcedTool(body: Record<string, unknown>): string | undefined {
  const name = dig(body, 'tool_choice', 'name');
  return dig(body, 'tool_choice', 'type') === 'tool' && typeof name === 'string' ? name : undefined;
}

/** Anthropic's input usage: `input_tokens` leaves out the prompt-cache reads and writes, named beside it. */
function inputUsage(call: ParsedCall, promptTokens: number) {
  const read = call.cache?.read ?? 0;
  const written = call.cache?.written ?? 0;
  return {
    input_tokens: Math.max(0, promptTokens - read - written),
    cache_read_input_tokens: read,
    cache_creation_input_tokens: written,
  };
}

function message(call: ParsedCall, content: unknown[], stopReason: string, usage: object) {
  return {
    status: 200,
    body: {
      id: `msg_${randomUUID()}`,
      type: 'message',
      role: 'assistant',
      model: call.model,
      content,
      stop_reason: stopReason,
      stop_sequence: null,
      usage,
    },
  };
}

/** Anthropic Messages: `POST /v1/messages`, structured output as a forced tool, 529 when overloaded. */
export const anthropicDialect: Dialect = {
  provider: 'anthropic',
  overloadedStatus: 529,

  route: (path, body) =>
    path === '/v1/messages'
      ? { model: String(body.model), stream: body.stream === true }
      : undefined,

  schemaOf: (body) => {
    const forced = forcedTool(body);
    const tools = Array.isArray(body.tools) ? (body.tools as unknown[]) : [];
    const tool = tools.find((item) => dig(item, 'name') === forced);
    return (
      asObject(dig(tool, 'input_schema')) ??
      asObject(dig(body, 'output_config', 'format', 'schema'))
    );
  },

  // The service asks for JSON without a schema by instruction (Anthropic has no JSON mode).
  wantsJsonObject: (body) => textOf(body.system).includes('single JSON object'),

  // Extended thinking is off unless the request enables it; its budget counts inside max_tokens.
  thinking: (call) => ({
    thoughts:
      dig(call.body, 'thinking', 'type') === 'enabled'
        ? Number(dig(call.body, 'thinking', 'budget_tokens'))
        : 0,
    limit: typeof call.body.max_tokens === 'number' ? call.body.max_tokens : undefined,
  }),

  answer: (call, text, ending, promptTokens, toolInput, thoughtTokens = 0) => {
    const tool = forcedTool(call.body);
    const useTool = tool !== undefined && toolInput !== undefined && ending === 'complete';
    const usage = {
      ...inputUsage(call, promptTokens),
      output_tokens: Math.max(1, Math.ceil(text.length / 4)) + thoughtTokens,
    };
    if (useTool) {
      const block = { type: 'tool_use', id: `toolu_${randomUUID()}`, name: tool, input: toolInput };
      return message(call, [block], 'tool_use', usage);
    }
    return message(
      call,
      [{ type: 'text', text }],
      ending === 'complete' ? 'end_turn' : 'max_tokens',
      usage,
    );
  },

  blocked: (call, promptTokens) =>
    message(call, [], 'refusal', { input_tokens: promptTokens, output_tokens: 0 }),

  failure: (status) => ({
    status,
    body: {
      type: 'error',
      error: { type: ERROR_TYPES[status] ?? 'api_error', message: errorMessage(status) },
    },
  }),

  invalidKey: () => anthropicDialect.failure(401),

  // Anthropic's structured refusal is a 200 with stop_reason "refusal" (its 400s name the policy only in prose).
  contentPolicy: (call, promptTokens) => anthropicDialect.blocked(call, promptTokens),

  toolCall: (call, toolCall, promptTokens) =>
    message(
      call,
      [{ type: 'tool_use', id: toolCall.id, name: toolCall.name, input: toolCall.args }],
      'tool_use',
      { input_tokens: promptTokens, output_tokens: 12 },
    ),

  toolCallFrames: (call, toolCall, promptTokens) => {
    const args = JSON.stringify(toolCall.args);
    const half = Math.ceil(args.length / 2);
    const start = {
      id: `msg_${randomUUID()}`,
      type: 'message',
      role: 'assistant',
      model: call.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { ...inputUsage(call, promptTokens), output_tokens: 0 },
    };
    const block = { type: 'tool_use', id: toolCall.id, name: toolCall.name, input: {} };
    const delta = (partial: string) =>
      frame(
        {
          type: 'content_block_delta',
          index: 0,
          delta: { type: 'input_json_delta', partial_json: partial },
        },
        'content_block_delta',
      );
    return [
      frame({ type: 'message_start', message: start }, 'message_start'),
      frame({ type: 'content_block_start', index: 0, content_block: block }, 'content_block_start'),
      delta(args.slice(0, half)),
      delta(args.slice(half)),
      frame({ type: 'content_block_stop', index: 0 }, 'content_block_stop'),
      frame(
        {
          type: 'message_delta',
          delta: { stop_reason: 'tool_use', stop_sequence: null },
          usage: { output_tokens: 12 },
        },
        'message_delta',
      ),
      frame({ type: 'message_stop' }, 'message_stop'),
    ];
  },

  streamFrames: (plan: StreamPlan) => {
    const toolName = plan.asTool ? forcedTool(plan.call.body) : undefined;
    const start = {
      id: `msg_${randomUUID()}`,
      type: 'message',
      role: 'assistant',
      model: plan.call.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { ...inputUsage(plan.call, plan.promptTokens), output_tokens: 0 },
    };
    const frames = [frame({ type: 'message_start', message: start }, 'message_start')];
    if (plan.ending !== 'blocked') {
      const block = toolName
        ? { type: 'tool_use', id: `toolu_${randomUUID()}`, name: toolName, input: {} }
        : { type: 'text', text: '' };
      frames.push(
        frame(
          { type: 'content_block_start', index: 0, content_block: block },
          'content_block_start',
        ),
      );
      for (const text of plan.chunks) {
        const delta = toolName
          ? { type: 'input_json_delta', partial_json: text }
          : { type: 'text_delta', text };
        frames.push(frame({ type: 'content_block_delta', index: 0, delta }, 'content_block_delta'));
      }
      if (plan.ending === 'no_end_marker') return frames;
      frames.push(frame({ type: 'content_block_stop', index: 0 }, 'content_block_stop'));
    }
    const stopReason =
      plan.ending === 'blocked'
        ? 'refusal'
        : plan.ending === 'truncated' || plan.ending === 'continuation'
          ? 'max_tokens'
          : toolName
            ? 'tool_use'
            : 'end_turn';
    frames.push(
      frame(
        {
          type: 'message_delta',
          delta: { stop_reason: stopReason, stop_sequence: null },
          usage: { output_tokens: plan.outputTokens },
        },
        'message_delta',
      ),
      frame({ type: 'message_stop' }, 'message_stop'),
    );
    return frames;
  },
};
