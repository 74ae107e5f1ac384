import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import {
  ApiBody,
  ApiOperation,
  ApiQuery,
  ApiResponse,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { RateLimited } from '../common/generation-throttler.guard';
import { requestSchemaFor } from '../common/json-schema';
import { RefreshQueryDto } from '../common/refresh-query.dto';
import { RequestContext, RequestCtx } from '../common/request-context.decorator';
import { allRoutesFailedSchema } from '../llm';
import {
  ApiGeneratingErrors,
  ApiReadErrors,
  ApiRequestId,
  asSchema,
} from '../openapi/api-docs.decorators';
import { CreateProfileDto } from './dto/create-profile.dto';
import { profileViewSchema } from './profile-view.schema';
import { ProfilesService, ProfileView } from './profiles.service';

@ApiTags('profiles')
@ApiSecurity('apiKey')
@ApiRequestId()
@Controller('profiles')
export class ProfilesController {
  constructor(private readonly profiles: ProfilesService) {}

  /** 201 with a newly generated profile; 200 with the stored one for a known triple (unless ?refresh=true). */
  @Post()
  @ApiOperation({
    summary: 'Generate a learner profile, or return the stored one for the same triple',
  })
  @ApiBody({
    schema: asSchema(requestSchemaFor(CreateProfileDto)),
    examples: {
      nurse: {
        value: { profession: 'Nurse', industry: 'Healthcare', experienceLevel: 'Beginner' },
      },
    },
  })
  @ApiQuery({
    name: 'refresh',
    required: false,
    type: Boolean,
    description: 'Generate again even if stored',
  })
  @ApiResponse({ status: 201, description: 'Generated now', schema: asSchema(profileViewSchema) })
  @ApiResponse({
    status: 200,
    description: 'Stored profile (generatedFromCache: true, no LLM call)',
    schema: asSchema(profileViewSchema),
  })
  @ApiGeneratingErrors(allRoutesFailedSchema)
  @RateLimited()
  async create(
    @Body() body: CreateProfileDto,
    @Query() query: RefreshQueryDto,
    @RequestCtx() context: RequestContext,
    @Res({ passthrough: true }) response: FastifyReply,
  ): Promise<ProfileView> {
    const view = await this.profiles.getOrCreate(body, {
      refresh: query.refresh ?? false,
      requestId: context.requestId,
      owner: context.owner,
    });
    response.status(view.generatedFromCache ? HttpStatus.OK : HttpStatus.CREATED);
    return view;
  }

  @Get(':id')
  @ApiOperation({ summary: 'A stored profile' })
  @ApiResponse({ status: 200, description: 'The profile', schema: asSchema(profileViewSchema) })
  @ApiReadErrors()
  async findOne(
    @Param('id', new ParseUUIDPipe({ version: undefined })) id: string,
    @RequestCtx() context: RequestContext,
  ): Promise<ProfileView> {
    return this.profiles.findById(id, context.owner);
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Delete your profile and its lessons' })
  @ApiResponse({ status: 204, description: 'Deleted, with its lessons' })
  @ApiReadErrors()
  async remove(
    @Param('id', new ParseUUIDPipe({ version: undefined })) id: string,
    @RequestCtx() context: RequestContext,
  ): Promise<void> {
    await this.profiles.delete(id, context.owner);
  }
}
