import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { EventStreamWriter } from '../common/event-stream';
import { routeId, StreamEvent, StreamSession } from '../llm';
import { attemptsHeader, chatUsage, streamFailureKind, toOpenAiToolCall } from './chat-translation';

/** What the chat stream needs besides its session. */
export interface ChatStreamContext {
  /** The route serving the stream when it starts (`x-llm-route`). */
  model: string;
  includeUsage: boolean;
  requestId: string;
  logger: Logger;
  /** Seconds since the epoch, for `created`. */
  created?: number;
}

/**
 * A session as OpenAI's Chat Completions chunks: a role delta, content and tool-call deltas, the finishing chunk
 * (naming the route that finished the answer, with the hand-overs and every attempt when it was continued), usage
 * when asked for, and `[DONE]`. A failure after the start is an error event without `[DONE]`. Stops reading the
 * session as soon as the writer is closed (reader gone or too slow), which charges what was billed so far.
 */
export async function writeChatStream(
  session: StreamSession,
  writer: EventStreamWriter,
  context: ChatStreamContext,
): Promise<void> {
  const id = `chatcmpl-${randomUUID()}`;
  const created = context.created ?? Math.floor(Date.now() / 1000);
  let model = context.model;
  const chunk = (delta: object, finishReason: string | null, extra: object = {}) =>
    writer.send({
      id,
      object: 'chat.completion.chunk',
      created,
      model,
      choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }],
      ...extra,
    });
  let toolIndex = 0;
  try {
    if (!(await chunk({ role: 'assistant', content: '' }, null))) return;
    for await (const event of session.events) {
      if (!(await write(event))) return;
    }
  } catch (error) {
    // Headers are sent: the only honest way left to report a failure is an error event without [DONE].
    const kind = streamFailureKind(error);
    if (kind === 'error')
      context.logger.error(`Stream failed [request ${context.requestId}]`, (error as Error).stack);
    await writer.send({
      error: {
        message: `The stream from ${model} failed after it started (${kind}); the answer is incomplete.`,
        type: 'server_error',
        param: null,
        code: `stream_${kind}`,
      },
    });
  } finally {
    await writer.end();
  }

  async function write(event: StreamEvent): Promise<boolean> {
    switch (event.type) {
      case 'text':
        return chunk({ content: event.text }, null);
      case 'tool_call':
        // Each call whole, in one delta: clients join deltas by index, so one piece is a valid stream.
        return chunk(
          { tool_calls: [{ index: toolIndex++, ...toOpenAiToolCall(event.call) }] },
          null,
        );
      case 'end': {
        if (event.route) model = routeId(event.route);
        if (event.continuations) {
          // Continued on other routes after a mid-stream failure: said in a comment (clients skip it) and in
          // extension fields of the last chunk, beside the metrics.
          const handOvers = event.continuations.map(
            (c) => `${c.from} -> ${c.to} (${c.reason}, ${c.method})`,
          );
          await writer.comment(`llm-continuation ${handOvers.join('; ')}`);
          await chunk({}, event.finish, {
            llm_continuations: event.continuations,
            llm_attempts: attemptsHeader(event.attempts ?? []),
          });
        } else await chunk({}, event.finish);
        if (context.includeUsage) {
          const usage = chatUsage(event.usage);
          await writer.send({
            id,
            object: 'chat.completion.chunk',
            created,
            model,
            choices: [],
            usage,
          });
        }
        return writer.data('[DONE]');
      }
    }
  }
}
