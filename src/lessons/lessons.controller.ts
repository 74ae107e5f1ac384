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

@Controller('lessons')
export class LessonsController {
  constructor(private readonly lessons: LessonsService) {}

  /** 201 with the lesson; `generation.cacheHit` says whether it came from storage (then no LLM call was made). */
  @Post()
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
  async findOne(@Param('id', new ParseUUIDPipe()) id: string): Promise<LessonView> {
    return this.lessons.findById(id);
  }
}
