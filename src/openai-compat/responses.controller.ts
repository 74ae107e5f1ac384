import { Body, Controller, HttpCode, Logger, Post, Res, UseFilters } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { EventStreams } from '../common/event-stream';
import { RateLimited } from '../common/generation-throttler.guard';
import { requestSchemaFor } from '../common/json-schema';
import { RequestContext, RequestCtx } from '../common/request-context.decorator';
import { ApiGeneratingErrors, asSchema } from '../openapi/api-docs.decorators';
import { ChatCompletionsService, PreparedChat, setRouteHeaders } from './chat-completions.service';
import { ResponsesRequestDto } from './dto/responses-request.dto';
import { OpenAiExceptionFilter } from './openai-exception.filter';
import { openAiErrorSchema } from './openai.schemas';
import { writeResponsesStream } from './responses-stream';
import { completedResponse, ignoredResponsesFields, toChatRequest } from './responses-translation';

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

  constructor(
    private readonly chat: ChatCompletionsService,
    private readonly streams: EventStreams,
  ) {}

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
    @Res({ passthrough: true }) response: FastifyReply,
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
          cachedInputTokens: completion.usage.prompt_tokens_details.cached_tokens,
        },
      });
    }
    await this.stream(body, prepared, context, response);
    return undefined;
  }

  /**
   * The response as server-sent events (`response.created` … `response.completed`); a failure after the start is
   * an `error` event.
   */
  private async stream(
    dto: ResponsesRequestDto,
    prepared: PreparedChat,
    context: RequestContext,
    response: FastifyReply,
  ): Promise<void> {
    const { session, headers } = await this.chat.openStream(prepared, context);
    // The stream is written on Node's own response, past the framework's reply.
    response.hijack();
    const writer = this.streams.open(response.raw);
    writer.start(headers);
    await writeResponsesStream(session, writer, {
      dto,
      model: headers['x-llm-route'],
      requestId: context.requestId,
      logger: this.logger,
    });
  }
}
