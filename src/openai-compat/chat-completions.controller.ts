import { ApiBody, ApiOperation, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { requestSchemaFor } from '../common/json-schema';
import { ApiGeneratingErrors, asSchema } from '../openapi/api-docs.decorators';
import { chatCompletionSchema, modelListSchema, openAiErrorSchema } from './openai.schemas';
import { RateLimited } from '../common/generation-throttler.guard';
import {
  Body,
  Controller,
  Get,
  HttpCode,
  Logger,
  NotFoundException,
  Param,
  Post,
  Res,
  UseFilters,
} from '@nestjs/common';

/** A 404 in OpenAI's error format with its `code`. */
class OpenAiNotFoundError extends NotFoundException {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}
import type { Response } from 'express';
import { randomUUID } from 'node:crypto';
import { RequestContext, RequestCtx } from '../common/request-context.decorator';
import { streamFailureKind, toOpenAiToolCall } from './chat-translation';
import { OpenAiExceptionFilter } from './openai-exception.filter';
import { setRouteHeaders, startEventStream } from './event-stream';
import { ChatCompletionRequestDto } from './dto/chat-completion-request.dto';
import { ChatCompletionsService, PreparedChat } from './chat-completions.service';

/**
 * OpenAI-compatible endpoints over the fallback layer: any OpenAI client gets cross-provider fallback by pointing
 * its base URL here (`http://host:3000/v1`). Errors use OpenAI's error format (see the exception filter).
 */
@ApiTags('openai-compatible')
@ApiSecurity('apiKey')
@Controller('v1')
@UseFilters(OpenAiExceptionFilter)
export class ChatCompletionsController {
  private readonly logger = new Logger(ChatCompletionsController.name);

  constructor(private readonly chat: ChatCompletionsService) {}

  @Post('chat/completions')
  @ApiOperation({
    summary: 'OpenAI Chat Completions over the fallback layer',
    description:
      'model: provider:model or "default"; extension field fallbacks: [provider:model]. stream: true answers server-sent events ending in data: [DONE]. Headers x-llm-route, x-llm-attempts, x-llm-warning.',
  })
  @ApiBody({
    schema: asSchema(requestSchemaFor(ChatCompletionRequestDto)),
    examples: {
      hello: { value: { model: 'default', messages: [{ role: 'user', content: 'Hello' }] } },
    },
  })
  @ApiResponse({
    status: 200,
    description: 'The completion (or an SSE stream)',
    schema: asSchema(chatCompletionSchema),
  })
  @ApiGeneratingErrors(openAiErrorSchema)
  @RateLimited()
  @HttpCode(200)
  async create(
    @Body() body: ChatCompletionRequestDto,
    @RequestCtx() context: RequestContext,
    @Res({ passthrough: true }) response: Response,
  ): Promise<unknown> {
    const prepared = this.chat.prepare(body);
    if (!body.stream) {
      const { body: completion, headers } = await this.chat.complete(prepared, context);
      setRouteHeaders(response, headers);
      return completion;
    }
    await this.stream(prepared, body.stream_options?.include_usage === true, context, response);
    return undefined;
  }

  @Get('models')
  @ApiOperation({ summary: 'The routes with a key, and default' })
  @ApiResponse({
    status: 200,
    description: 'OpenAI list format',
    schema: asSchema(modelListSchema),
  })
  @ApiResponse({
    status: 401,
    description: 'Missing or invalid API key',
    schema: asSchema(openAiErrorSchema),
  })
  models() {
    return { object: 'list', data: this.chat.models() };
  }

  /** `models.retrieve(id)`: one model of the list (ids are `provider:model`, so the path may hold a colon). */
  @Get('models/:id')
  @ApiOperation({ summary: 'One model of /v1/models' })
  @ApiResponse({ status: 200, description: 'The model object' })
  @ApiResponse({
    status: 404,
    description: 'Not a model this service serves',
    schema: asSchema(openAiErrorSchema),
  })
  model(@Param('id') id: string) {
    const model = this.chat.model(id);
    if (!model)
      throw new OpenAiNotFoundError(
        `The model ${id} is not served here; see GET /v1/models`,
        'model_not_found',
      );
    return model;
  }

  /**
   * Server-sent events in OpenAI's chunk format. Failures before the first content fall back (and, if every route
   * fails, answer a normal 503); a failure after it ends the stream with an error event and no `[DONE]`.
   */
  private async stream(
    prepared: PreparedChat,
    includeUsage: boolean,
    context: RequestContext,
    response: Response,
  ): Promise<void> {
    const { session, headers } = await this.chat.openStream(prepared, context);
    const id = `chatcmpl-${randomUUID()}`;
    const created = Math.floor(Date.now() / 1000);
    const model = headers['x-llm-route'];
    const send = (data: unknown) => response.write(`data: ${JSON.stringify(data)}\n\n`);
    const chunk = (delta: object, finishReason: string | null) =>
      send({
        id,
        object: 'chat.completion.chunk',
        created,
        model,
        choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }],
      });

    startEventStream(response, headers);
    chunk({ role: 'assistant', content: '' }, null);
    let toolIndex = 0;
    try {
      for await (const event of session.events) {
        if (event.type === 'text') {
          chunk({ content: event.text }, null);
          continue;
        }
        if (event.type === 'tool_call') {
          // Each call whole, in one delta: clients join deltas by index, so one piece is a valid stream.
          chunk({ tool_calls: [{ index: toolIndex, ...toOpenAiToolCall(event.call) }] }, null);
          toolIndex += 1;
          continue;
        }
        if (event.continuations) {
          // Continued on other routes after a mid-stream failure: said in a comment (clients skip it) and in an
          // extension field of the last chunk, beside the metrics.
          response.write(
            `: llm-continuation ${event.continuations.map((c) => `${c.from} -> ${c.to} (${c.reason}, ${c.method})`).join('; ')}\n\n`,
          );
          send({
            id,
            object: 'chat.completion.chunk',
            created,
            model,
            choices: [{ index: 0, delta: {}, finish_reason: event.finish, logprobs: null }],
            llm_continuations: event.continuations,
          });
        } else chunk({}, event.finish);
        if (includeUsage) {
          const usage = {
            prompt_tokens: event.usage.inputTokens,
            completion_tokens: event.usage.outputTokens,
            total_tokens: event.usage.inputTokens + event.usage.outputTokens,
          };
          send({ id, object: 'chat.completion.chunk', created, model, choices: [], usage });
        }
        response.write('data: [DONE]\n\n');
      }
    } catch (error) {
      // Headers are sent: the only honest way left to report a failure is an error event without [DONE].
      const kind = streamFailureKind(error);
      if (kind === 'error')
        this.logger.error(`Stream failed [request ${context.requestId}]`, (error as Error).stack);
      if (!response.destroyed) {
        send({
          error: {
            message: `The stream from ${model} failed after it started (${kind}); the answer is incomplete.`,
            type: 'server_error',
            param: null,
            code: `stream_${kind}`,
          },
        });
      }
    } finally {
      response.end();
    }
  }
}
