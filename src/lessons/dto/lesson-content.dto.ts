import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsString,
  Length,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';

export const SLIDE_TYPES = ['hook', 'concept', 'example', 'connection'] as const;
export type SlideType = (typeof SLIDE_TYPES)[number];

export class LessonItemDto {
  @IsIn(['text']) type: 'text';
  /** Shown on screen. */
  @IsString() @Length(1, 100) bullet: string;
  /** What the presenter says. */
  @IsString() @Length(1, 1200) talk: string;
}

export class LessonSlideDto {
  @IsInt() @Min(1) @Max(6) slideNumber: number;
  @IsIn(SLIDE_TYPES) slideType: SlideType;
  @IsString() @Length(1, 120) title: string;
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(5)
  @ValidateNested({ each: true })
  @Type(() => LessonItemDto)
  items: LessonItemDto[];
}

/**
 * A lesson as the model writes it. The schema covers shape and lengths; the rules it cannot express (slide order,
 * count by difficulty, misconception, oversight) are checked by lesson-rules.ts.
 */
export class LessonContentDto {
  @IsString() @Length(1, 120) lessonTitle: string;
  @IsInt() @Min(1) @Max(30) estimatedDurationMinutes: number;
  @IsArray()
  @ArrayMinSize(3)
  @ArrayMaxSize(6)
  @ValidateNested({ each: true })
  @Type(() => LessonSlideDto)
  slides: LessonSlideDto[];
}

/** The reviewer's verdict. */
export class LessonReviewDto {
  @IsBoolean() approved: boolean;
  @IsArray()
  @ArrayMaxSize(8)
  @IsString({ each: true })
  @Length(1, 300, { each: true })
  fixes: string[];
}
