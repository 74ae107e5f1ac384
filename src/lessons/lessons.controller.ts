import {
  Body,
  Controller,
  Get,
  HttpStatus,
  Logger,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  Req,
  Res,
  UseFilters,
} from '@nestjs/common';
import {
  ApiBody,
  ApiOperation,
  ApiQuery,
  ApiResponse,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import { IsBoolean, IsOptional } from 'class-validator';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { EventStreams } from '../common/event-stream';
import { RateLimited } from '../common/generation-throttler.guard';
import { requestSchemaFor } from '../common/json-schema';
import { RefreshQueryDto } from '../common/refresh-query.dto';
import { RequestContext, RequestCtx } from '../common/request-context.decorator';
import { QueryBoolean } from '../common/string-transforms';
import { allRoutesFailedSchema } from '../llm';
import {
  ApiGeneratingErrors,
  ApiReadErrors,
  ApiRequestId,
  asSchema,
} from '../openapi/api-docs.decorators';
import { errorSchema } from '../openapi/schemas';
import { CreateLessonDto } from './dto/create-lesson.dto';
import { LESSON_HEARTBEAT_MS, streamLesson, wantsEventStream } from './lesson-stream';
import { lessonViewSchema } from './lesson-view.schema';
import { LessonsExceptionFilter } from './lessons-exception.filter';
import { LessonsService, LessonView } from './lessons.service';

export class LessonQueryDto extends RefreshQueryDto {
  /** Answer as server-sent events (the same as `Accept: text/event-stream`). */
  @IsOptional()
  @QueryBoolean()
  @IsBoolean()
  stream?: boolean;
}

@ApiTags('lessons')
@ApiSecurity('apiKey')
@ApiRequestId()
@Controller('lessons')
@UseFilters(LessonsExceptionFilter)
export class LessonsController {
  private readonly logger = new Logger(LessonsController.name);

  constructor(
    private readonly lessons: LessonsService,
    private readonly streams: EventStreams,
  ) {}

  /** 201 with the lesson; `generation.cacheHit` says whether it came from storage (then no LLM call was made). */
  @Post()
  @ApiOperation({
    summary: 'Generate a personalised lesson (or return the stored one for the same request)',
  })
  @ApiBody({
    schema: asSchema(requestSchemaFor(CreateLessonDto)),
    examples: {
      lesson: {
        value: {
          courseId: 'llm-foundations',
          lessonId: 'l03-hallucinations',
          difficulty: 2,
          profileId: '7a1c6f9e-2b7d-4c1e-9f3a-0d5e8b2c4a61',
        },
      },
    },
  })
  @ApiQuery({
    name: 'refresh',
    required: false,
    type: Boolean,
    description: 'Generate again even if stored',
  })
  @ApiQuery({
    name: 'stream',
    required: false,
    type: Boolean,
    description:
      'Server-sent events (also `Accept: text/event-stream`): `stage` {stage, provider, model}; `slide` {slide, step, replaces} as soon as each slide is written; `done` with the lesson (the 201 body); or `error` with the error body (and retryAfterSeconds). A caller joining a generation in flight gets its events so far.',
  })
  @ApiResponse({
    status: 201,
    description: 'The lesson; generation.cacheHit says whether it came from storage',
    schema: asSchema(lessonViewSchema),
  })
  @ApiResponse({
    status: 404,
    description: 'Unknown course, lesson or profile',
    schema: asSchema(errorSchema),
  })
  @ApiResponse({
    status: 200,
    description:
      'With stream=true or Accept: text/event-stream: the server-sent events described above',
    content: { 'text/event-stream': { schema: { type: 'string' } } },
  })
  @ApiGeneratingErrors(allRoutesFailedSchema)
  @RateLimited()
  async create(
    @Body() body: CreateLessonDto,
    @Query() query: LessonQueryDto,
    @RequestCtx() context: RequestContext,
    @Req() request: FastifyRequest,
    @Res() response: FastifyReply,
  ): Promise<void> {
    const options = {
      refresh: query.refresh ?? false,
      requestId: context.requestId,
      owner: context.owner,
    };
    if (!wantsEventStream(request)) {
      const lesson: LessonView = await this.lessons.create(body, options);
      await response.status(HttpStatus.CREATED).send(lesson);
      return;
    }
    const progress = await this.lessons.open(body, options);
    response.hijack();
    const writer = this.streams.open(response.raw, { heartbeatMs: LESSON_HEARTBEAT_MS });
    await streamLesson(request, writer, progress, context.requestId, this.logger);
  }

  @Get(':id')
  @ApiOperation({ summary: 'A stored lesson' })
  @ApiResponse({ status: 200, description: 'The lesson', schema: asSchema(lessonViewSchema) })
  @ApiReadErrors()
  async findOne(
    @Param('id', new ParseUUIDPipe()) id: string,
    @RequestCtx() context: RequestContext,
  ): Promise<LessonView> {
    return this.lessons.findById(id, context.owner);
  }
}
