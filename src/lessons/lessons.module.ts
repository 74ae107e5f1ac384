import { Module } from '@nestjs/common';
import { CLOCK, SYSTEM_CLOCK } from '../common/clock';
import { CoursesModule } from '../courses/courses.module';
import { ProfilesModule } from '../profiles/profiles.module';
import { LessonPipeline } from './lesson-pipeline.service';
import { LessonsController } from './lessons.controller';
import { LessonsRepository } from './lessons.repository';
import { LessonsService } from './lessons.service';
import { PromptLibrary } from './prompt-library';

@Module({
  imports: [CoursesModule, ProfilesModule],
  controllers: [LessonsController],
  providers: [
    LessonsService,
    LessonsRepository,
    LessonPipeline,
    PromptLibrary,
    { provide: CLOCK, useValue: SYSTEM_CLOCK },
  ],
})
export class LessonsModule {}
