import { IsIn, IsInt, IsOptional, IsUUID, Matches, Max, Min } from 'class-validator';

export const ADAPTATIONS = ['simplify_this', 'get_to_the_point', 'more_examples'] as const;
export type Adaptation = (typeof ADAPTATIONS)[number];

const ID = /^[a-z0-9][a-z0-9-]{0,63}$/;

export class CreateLessonDto {
  @Matches(ID, {
    message: 'courseId must be lowercase letters, digits and -, at most 64 characters',
  })
  courseId: string;

  @Matches(ID, {
    message: 'lessonId must be lowercase letters, digits and -, at most 64 characters',
  })
  lessonId: string;

  /** 1 (gentlest) to 5 (most advanced). */
  @IsInt()
  @Min(1)
  @Max(5)
  difficulty: number;

  /** A stored profile's id (POST /profiles). */
  @IsUUID()
  profileId: string;

  @IsOptional()
  @IsIn(ADAPTATIONS)
  adaptation?: Adaptation;
}
