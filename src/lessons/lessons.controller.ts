import {
  ApiBody,
  ApiOperation,
  ApiQuery,
  ApiResponse,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import { requestSchemaFor } from '../common/json-schema';
import {
  ApiGeneratingErrors,
  ApiReadErrors,
  ApiRequestId,
  asSchema,
} from '../openapi/api-docs.decorators';
import { errorSchema } from '../openapi/schemas';
import { allRoutesFailedSchema } from '../llm';
import { lessonViewSchema } from './lesson-view.schema';
import { RateLimited } from '../common/generation-throttler.guard';
import {
  Body,
  Controller,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
} from '@nestjs/common';
import { RefreshQueryDto } from '../common/refresh-query.dto';
import { RequestContext, RequestCtx } from '../common/request-context.decorator';
import { CreateLessonDto } from './dto/create-lesson.dto';
import { LessonsService, LessonView } from './lessons.service';

@ApiTags('lessons')
@ApiSecurity('apiKey')
@ApiRequestId()
@Controller('lessons')
export class LessonsController {
  constructor(private readonly lessons: LessonsService) {}

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
  @ApiGeneratingErrors(allRoutesFailedSchema)
  @RateLimited()
  @HttpCode(HttpStatus.CREATED)
  async create(
    @Body() body: CreateLessonDto,
    @Query() query: RefreshQueryDto,
    @RequestCtx() context: RequestContext,
  ): Promise<LessonView> {
    return this.lessons.create(body, {
      refresh: query.refresh ?? false,
      requestId: context.requestId,
    });
  }

  @Get(':id')
  @ApiOperation({ summary: 'A stored lesson' })
  @ApiResponse({ status: 200, description: 'The lesson', schema: asSchema(lessonViewSchema) })
  @ApiReadErrors()
  async findOne(@Param('id', new ParseUUIDPipe()) id: string): Promise<LessonView> {
    return this.lessons.findById(id);
  }
}
