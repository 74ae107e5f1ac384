import { RateLimited } from '../common/generation-throttler.guard';
import {
  Body,
  Controller,
  Get,
  HttpStatus,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import type { Response } from 'express';
import { RequestContext, RequestCtx } from '../common/request-context.decorator';
import { CreateProfileDto } from './dto/create-profile.dto';
import { RefreshQueryDto } from '../common/refresh-query.dto';
import { ProfilesService, ProfileView } from './profiles.service';

@Controller('profiles')
export class ProfilesController {
  constructor(private readonly profiles: ProfilesService) {}

  /** 201 with a newly generated profile; 200 with the stored one for a known triple (unless ?refresh=true). */
  @Post()
  @RateLimited()
  async create(
    @Body() body: CreateProfileDto,
    @Query() query: RefreshQueryDto,
    @RequestCtx() context: RequestContext,
    @Res({ passthrough: true }) response: Response,
  ): Promise<ProfileView> {
    const view = await this.profiles.getOrCreate(body, {
      refresh: query.refresh ?? false,
      requestId: context.requestId,
    });
    response.status(view.generatedFromCache ? HttpStatus.OK : HttpStatus.CREATED);
    return view;
  }

  @Get(':id')
  async findOne(
    @Param('id', new ParseUUIDPipe({ version: undefined })) id: string,
  ): Promise<ProfileView> {
    return this.profiles.findById(id);
  }
}
