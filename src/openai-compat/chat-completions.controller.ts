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
import { ApiBody, ApiOperation, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { EventStreams } from '../common/event-stream';
import { RateLimited } from '../common/generation-throttler.guard';
import { requestSchemaFor } from '../common/json-schema';
import { RequestContext, RequestCtx } from '../common/request-context.decorator';
import { ApiGeneratingErrors, asSchema } from '../openapi/api-docs.decorators';
import { setRouteHeaders, ChatCompletionsService, PreparedChat } from './chat-completions.service';
import { writeChatStream } from './chat-stream';
import { ChatCompletionRequestDto } from './dto/chat-completion-request.dto';
import { OpenAiExceptionFilter } from './openai-exception.filter';
import { chatCompletionSchema, modelListSchema, openAiErrorSchema } from './openai.schemas';

/** A 404 in OpenAI's error format with its `code`. */
class OpenAiNotFoundError extends NotFoundException {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

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

  constructor(
    private readonly chat: ChatCompletionsService,
    private readonly streams: EventStreams,
  ) {}

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
    @Res({ passthrough: true }) response: FastifyReply,
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
    response: FastifyReply,
  ): Promise<void> {
    const { session, headers } = await this.chat.openStream(prepared, context);
    // The stream is written on Node's own response, past the framework's reply.
    response.hijack();
    const writer = this.streams.open(response.raw);
    writer.start(headers);
    await writeChatStream(session, writer, {
      model: headers['x-llm-route'],
      includeUsage,
      requestId: context.requestId,
      logger: this.logger,
    });
  }
}
