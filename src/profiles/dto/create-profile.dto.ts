import { IsIn, IsString, Length } from 'class-validator';
import { NormalizeWhitespace, PlainText } from '../../common/string-transforms';

export const EXPERIENCE_LEVELS = ['Beginner', 'Intermediate', 'Advanced'] as const;
export type ExperienceLevel = (typeof EXPERIENCE_LEVELS)[number];

export class CreateProfileDto {
  @NormalizeWhitespace()
  @IsString()
  @Length(1, 120)
  @PlainText()
  profession: string;

  @NormalizeWhitespace()
  @IsString()
  @Length(1, 120)
  @PlainText()
  industry: string;

  @IsIn(EXPERIENCE_LEVELS)
  experienceLevel: ExperienceLevel;
}
