import { Logger } from '@nestjs/common';
import { EventStreamWriter } from '../common/event-stream';
import { routeId, StreamEvent, StreamSession, ToolCall } from '../llm';
import { streamFailureKind } from './chat-translation';
import { ResponsesRequestDto } from './dto/responses-request.dto';
import { functionCallItem, messageItem, newItemId, responseObject } from './responses-translation';

export interface ResponsesStreamContext {
  dto: ResponsesRequestDto;
  /** The route serving the stream when it starts (`x-llm-route`). */
  model: string;
  requestId: string;
  logger: Logger;
}

/**
 * The Responses API's `response.*` events for one answer: a message item whose text arrives in
 * `output_text.delta` events, one function-call item per call (arguments in one delta), and `response.completed`
 * (or `response.incomplete`) with the usage. Each method answers false once the writer is closed.
 */
export class ResponsesEvents {
  readonly responseId = newItemId('resp');
  private readonly createdAt = Math.floor(Date.now() / 1000);
  private readonly messageId = newItemId('msg');
  private readonly output: unknown[] = [];
  private readonly toolCalls: ToolCall[] = [];
  private sequence = 0;
  private text = '';
  /** The message item's position; -1 once a tool call closed it (later text starts no new item). */
  private messageIndex: number | undefined;

  constructor(
    private readonly writer: EventStreamWriter,
    private readonly dto: ResponsesRequestDto,
    private model: string,
  ) {}

  async start(): Promise<boolean> {
    return (
      (await this.send('response.created', { response: this.snapshot() })) &&
      this.send('response.in_progress', { response: this.snapshot() })
    );
  }

  async addText(delta: string): Promise<boolean> {
    if (delta.length === 0) return true;
    const index = await this.openMessage();
    if (index === undefined) return false;
    this.text += delta;
    return this.send('response.output_text.delta', {
      item_id: this.messageId,
      output_index: index,
      content_index: 0,
      delta,
      logprobs: [],
    });
  }

  async toolCall(call: ToolCall): Promise<boolean> {
    if (!(await this.closeMessage())) return false;
    this.messageIndex ??= -1;
    this.toolCalls.push(call);
    const itemId = newItemId('fc');
    const index = this.output.length;
    this.output.push(functionCallItem(itemId, call, 'in_progress'));
    const sent =
      (await this.send('response.output_item.added', {
        output_index: index,
        item: functionCallItem(itemId, call, 'in_progress'),
      })) &&
      (await this.send('response.function_call_arguments.delta', {
        item_id: itemId,
        output_index: index,
        delta: call.arguments,
      })) &&
      (await this.send('response.function_call_arguments.done', {
        item_id: itemId,
        output_index: index,
        arguments: call.arguments,
      }));
    this.output[index] = functionCallItem(itemId, call, 'completed');
    return (
      sent &&
      this.send('response.output_item.done', { output_index: index, item: this.output[index] })
    );
  }

  async end(event: Extract<StreamEvent, { type: 'end' }>): Promise<boolean> {
    if (event.route) this.model = routeId(event.route);
    if (this.messageIndex === undefined && this.toolCalls.length === 0) await this.openMessage();
    if (!(await this.closeMessage())) return false;
    const done = {
      text: this.text,
      toolCalls: this.toolCalls,
      finish: event.finish,
      usage: event.usage,
    };
    const final = responseObject(
      this.responseId,
      this.createdAt,
      this.dto,
      this.model,
      this.output,
      done,
    );
    const type = final.status === 'incomplete' ? 'response.incomplete' : 'response.completed';
    return this.send(type, { response: final });
  }

  async failed(kind: string): Promise<void> {
    await this.send('error', {
      code: `stream_${kind}`,
      message: `The stream from ${this.model} failed after it started (${kind}); the answer is incomplete.`,
      param: null,
    });
  }

  private snapshot() {
    return responseObject(
      this.responseId,
      this.createdAt,
      this.dto,
      this.model,
      this.output,
      undefined,
    );
  }

  private send(type: string, data: Record<string, unknown>): Promise<boolean> {
    return this.writer.send({ type, sequence_number: this.sequence++, ...data }, type);
  }

  private async openMessage(): Promise<number | undefined> {
    if (this.messageIndex !== undefined) return this.messageIndex;
    const index = this.output.length;
    this.messageIndex = index;
    this.output.push(messageItem(this.messageId, '', 'in_progress'));
    const sent =
      (await this.send('response.output_item.added', {
        output_index: index,
        item: messageItem(this.messageId, '', 'in_progress'),
      })) &&
      (await this.send('response.content_part.added', {
        item_id: this.messageId,
        output_index: index,
        content_index: 0,
        part: { type: 'output_text', text: '', annotations: [], logprobs: [] },
      }));
    return sent ? index : undefined;
  }

  /** Closes the open message item, if any. */
  private async closeMessage(): Promise<boolean> {
    const index = this.messageIndex;
    if (index === undefined || index < 0) return true;
    const part = { type: 'output_text', text: this.text, annotations: [], logprobs: [] };
    const common = { item_id: this.messageId, output_index: index, content_index: 0 };
    const sent =
      (await this.send('response.output_text.done', {
        ...common,
        text: this.text,
        logprobs: [],
      })) && (await this.send('response.content_part.done', { ...common, part }));
    this.output[index] = messageItem(this.messageId, this.text, 'completed');
    this.messageIndex = -1;
    return (
      sent &&
      this.send('response.output_item.done', { output_index: index, item: this.output[index] })
    );
  }
}

/** A session as Responses API events; a failure after the start is an `error` event. */
export async function writeResponsesStream(
  session: StreamSession,
  writer: EventStreamWriter,
  context: ResponsesStreamContext,
): Promise<void> {
  const events = new ResponsesEvents(writer, context.dto, context.model);
  try {
    if (!(await events.start())) return;
    for await (const event of session.events) {
      const sent =
        event.type === 'text'
          ? await events.addText(event.text)
          : event.type === 'tool_call'
            ? await events.toolCall(event.call)
            : await events.end(event);
      if (!sent) return;
    }
  } catch (error) {
    const kind = streamFailureKind(error);
    if (kind === 'error')
      context.logger.error(`Stream failed [request ${context.requestId}]`, (error as Error).stack);
    await events.failed(kind);
  } finally {
    await writer.end();
  }
}
