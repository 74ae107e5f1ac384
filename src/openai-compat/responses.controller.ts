import { Body, Controller, HttpCode, Logger, Post, Res, UseFilters } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { RateLimited } from '../common/generation-throttler.guard';
import { requestSchemaFor } from '../common/json-schema';
import { RequestContext, RequestCtx } from '../common/request-context.decorator';
import { ToolCall } from '../llm';
import { ApiGeneratingErrors, asSchema } from '../openapi/api-docs.decorators';
import { ChatCompletionsService, PreparedChat } from './chat-completions.service';
import { streamFailureKind } from './chat-translation';
import { ResponsesRequestDto } from './dto/responses-request.dto';
import { openAiErrorSchema } from './openai.schemas';
import { OpenAiExceptionFilter } from './openai-exception.filter';
import { setRouteHeaders, startEventStream } from './event-stream';
import {
  completedResponse,
  functionCallItem,
  ignoredResponsesFields,
  messageItem,
  newItemId,
  responseObject,
  toChatRequest,
} from './responses-translation';

/**
 * The Responses API subset (`POST /v1/responses`) over the same fallback layer as Chat Completions: a string or
 * message/function-call items with `instructions`, `text.format` (json_object, json_schema), function tools, and
 * streaming with the `response.*` events. Enough for the AI SDK's default OpenAI provider and the Agents SDK's basics.
 */
@ApiTags('openai-compatible')
@ApiSecurity('apiKey')
@Controller('v1')
@UseFilters(OpenAiExceptionFilter)
export class ResponsesController {
  private readonly logger = new Logger(ResponsesController.name);

  constructor(private readonly chat: ChatCompletionsService) {}

  @Post('responses')
  @ApiOperation({
    summary: 'OpenAI Responses API (subset) over the fallback layer',
    description:
      'input (string or items), instructions, text.format, function tools, tool_choice, stream. No stored state: previous_response_id is a 400. Headers x-llm-route, x-llm-attempts, x-llm-warning.',
  })
  @ApiBody({ schema: asSchema(requestSchemaFor(ResponsesRequestDto)) })
  @ApiResponse({
    status: 200,
    description: 'The response object (or an SSE stream of response.* events)',
  })
  @ApiGeneratingErrors(openAiErrorSchema)
  @RateLimited()
  @HttpCode(200)
  async create(
    @Body() body: ResponsesRequestDto,
    @RequestCtx() context: RequestContext,
    @Res({ passthrough: true }) response: Response,
  ): Promise<unknown> {
    const prepared: PreparedChat = {
      ...this.chat.prepare(toChatRequest(body)),
      ignored: ignoredResponsesFields(body),
    };
    if (!body.stream) {
      const { body: completion, headers } = await this.chat.complete(prepared, context);
      setRouteHeaders(response, headers);
      const choice = completion.choices[0];
      return completedResponse(body, completion.model, {
        text: choice.message.content ?? '',
        toolCalls: (choice.message.tool_calls ?? []).map((call) => ({
          id: call.id,
          name: call.function.name,
          arguments: call.function.arguments,
        })),
        finish: choice.finish_reason,
        usage: {
          inputTokens: completion.usage.prompt_tokens,
          outputTokens: completion.usage.completion_tokens,
        },
      });
    }
    await this.stream(body, prepared, context, response);
    return undefined;
  }

  /**
   * The response as server-sent events: `response.created`, a message item whose text arrives in
   * `response.output_text.delta` events, one function-call item per call (arguments in one delta), and
   * `response.completed` with the usage. A failure after the start is an `error` event.
   */
  private async stream(
    dto: ResponsesRequestDto,
    prepared: PreparedChat,
    context: RequestContext,
    response: Response,
  ): Promise<void> {
    const { session, headers } = await this.chat.openStream(prepared, context);
    const model = headers['x-llm-route'];
    const responseId = newItemId('resp');
    const createdAt = Math.floor(Date.now() / 1000);
    let sequence = 0;
    const send = (type: string, data: Record<string, unknown>) =>
      response.write(
        `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: sequence++, ...data })}\n\n`,
      );
    startEventStream(response, headers);

    const output: unknown[] = [];
    const snapshot = () => responseObject(responseId, createdAt, dto, model, output, undefined);
    send('response.created', { response: snapshot() });
    send('response.in_progress', { response: snapshot() });

    const messageId = newItemId('msg');
    let text = '';
    let messageIndex: number | undefined;
    const toolCalls: ToolCall[] = [];
    const openMessage = () => {
      if (messageIndex !== undefined) return messageIndex;
      messageIndex = output.length;
      output.push(messageItem(messageId, '', 'in_progress'));
      send('response.output_item.added', {
        output_index: messageIndex,
        item: messageItem(messageId, '', 'in_progress'),
      });
      send('response.content_part.added', {
        item_id: messageId,
        output_index: messageIndex,
        content_index: 0,
        part: { type: 'output_text', text: '', annotations: [], logprobs: [] },
      });
      return messageIndex;
    };
    const closeMessage = () => {
      if (messageIndex === undefined) return;
      const part = { type: 'output_text', text, annotations: [], logprobs: [] };
      send('response.output_text.done', {
        item_id: messageId,
        output_index: messageIndex,
        content_index: 0,
        text,
        logprobs: [],
      });
      send('response.content_part.done', {
        item_id: messageId,
        output_index: messageIndex,
        content_index: 0,
        part,
      });
      output[messageIndex] = messageItem(messageId, text, 'completed');
      send('response.output_item.done', { output_index: messageIndex, item: output[messageIndex] });
    };
    try {
      for await (const event of session.events) {
        if (event.type === 'text') {
          if (event.text.length === 0) continue;
          const index = openMessage();
          text += event.text;
          send('response.output_text.delta', {
            item_id: messageId,
            output_index: index,
            content_index: 0,
            delta: event.text,
            logprobs: [],
          });
          continue;
        }
        if (event.type === 'tool_call') {
          closeMessage();
          messageIndex = messageIndex ?? -1; // a text after a call starts no new message item
          toolCalls.push(event.call);
          const itemId = newItemId('fc');
          const index = output.length;
          output.push(functionCallItem(itemId, event.call, 'in_progress'));
          send('response.output_item.added', {
            output_index: index,
            item: functionCallItem(itemId, event.call, 'in_progress'),
          });
          send('response.function_call_arguments.delta', {
            item_id: itemId,
            output_index: index,
            delta: event.call.arguments,
          });
          send('response.function_call_arguments.done', {
            item_id: itemId,
            output_index: index,
            arguments: event.call.arguments,
          });
          output[index] = functionCallItem(itemId, event.call, 'completed');
          send('response.output_item.done', { output_index: index, item: output[index] });
          continue;
        }
        if (messageIndex === undefined && toolCalls.length === 0) openMessage();
        if (messageIndex !== undefined && messageIndex >= 0) closeMessage();
        const done = { text, toolCalls, finish: event.finish, usage: event.usage };
        const final = responseObject(responseId, createdAt, dto, model, output, done);
        send(final.status === 'incomplete' ? 'response.incomplete' : 'response.completed', {
          response: final,
        });
      }
    } catch (error) {
      const kind = streamFailureKind(error);
      if (kind === 'error')
        this.logger.error(`Stream failed [request ${context.requestId}]`, (error as Error).stack);
      if (!response.destroyed)
        send('error', {
          code: `stream_${kind}`,
          message: `The stream from ${model} failed after it started (${kind}); the answer is incomplete.`,
          param: null,
        });
    } finally {
      response.end();
    }
  }
}
