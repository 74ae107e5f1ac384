import { randomUUID } from 'node:crypto';

export type StreamProvider = 'openai' | 'anthropic' | 'gemini';

/** How a simulated stream ends: properly, truncated by the token limit, refused, or without its end marker. */
export type StreamEnding = 'complete' | 'truncated' | 'blocked' | 'no_end_marker';

export interface StreamPlan {
  provider: StreamProvider;
  model: string;
  /** Text deltas in order (for a forced Anthropic tool: partial JSON). */
  chunks: string[];
  ending: StreamEnding;
  promptTokens: number;
  outputTokens: number;
  includeUsage: boolean;
  /** Anthropic: stream the deltas as a tool_use block with this name. */
  toolName?: string;
}

const frame = (data: unknown, event?: string) =>
  `${event ? `event: ${event}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;

function openAiFrames(plan: StreamPlan): string[] {
  const id = `chatcmpl-${randomUUID()}`;
  const created = Math.floor(Date.now() / 1000);
  const chunk = (delta: object, finishReason: string | null) => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model: plan.model,
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
    frames.push(frame(chunk({}, plan.ending === 'truncated' ? 'length' : 'stop')));
  if (plan.includeUsage) {
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
        model: plan.model,
        choices: [],
        usage,
      }),
    );
  }
  frames.push(frame('[DONE]'));
  return frames;
}

function anthropicFrames(plan: StreamPlan): string[] {
  const message = {
    id: `msg_${randomUUID()}`,
    type: 'message',
    role: 'assistant',
    model: plan.model,
    content: [],
    stop_reason: null,
    stop_sequence: null,
    usage: { input_tokens: plan.promptTokens, output_tokens: 0 },
  };
  const frames = [frame({ type: 'message_start', message }, 'message_start')];
  if (plan.ending !== 'blocked') {
    const block = plan.toolName
      ? { type: 'tool_use', id: `toolu_${randomUUID()}`, name: plan.toolName, input: {} }
      : { type: 'text', text: '' };
    frames.push(
      frame({ type: 'content_block_start', index: 0, content_block: block }, 'content_block_start'),
    );
    for (const text of plan.chunks) {
      const delta = plan.toolName
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
      : plan.ending === 'truncated'
        ? 'max_tokens'
        : plan.toolName
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
}

function geminiFrames(plan: StreamPlan): string[] {
  if (plan.ending === 'blocked') return [frame({ promptFeedback: { blockReason: 'SAFETY' } })];
  const frames = plan.chunks.map((text) =>
    frame({
      candidates: [{ content: { role: 'model', parts: [{ text }] }, index: 0 }],
      modelVersion: plan.model,
    }),
  );
  if (plan.ending === 'no_end_marker') return frames;
  frames.push(
    frame({
      candidates: [
        {
          content: { role: 'model', parts: [{ text: '' }] },
          finishReason: plan.ending === 'truncated' ? 'MAX_TOKENS' : 'STOP',
          index: 0,
        },
      ],
      usageMetadata: {
        promptTokenCount: plan.promptTokens,
        candidatesTokenCount: plan.outputTokens,
        totalTokenCount: plan.promptTokens + plan.outputTokens,
      },
      modelVersion: plan.model,
    }),
  );
  return frames;
}

/** The server-sent-event frames of one simulated stream, in each provider's wire format. */
export function streamFrames(plan: StreamPlan): string[] {
  switch (plan.provider) {
    case 'openai':
      return openAiFrames(plan);
    case 'anthropic':
      return anthropicFrames(plan);
    case 'gemini':
      return geminiFrames(plan);
  }
}

/** Splits text into a few deltas, as a model would stream it. */
export function splitIntoChunks(text: string, count = 4): string[] {
  if (text.length === 0) return [];
  const size = Math.max(1, Math.ceil(text.length / count));
  const chunks: string[] = [];
  for (let start = 0; start < text.length; start += size)
    chunks.push(text.slice(start, start + size));
  return chunks;
}
