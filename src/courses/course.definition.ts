import { Type } from 'class-transformer';
import { ArrayMinSize, IsArray, IsString, Length, Matches, ValidateNested } from 'class-validator';

export class MisconceptionDefinition {
  @IsString() @Length(5, 300) statement: string;
  @IsString() @Length(5, 400) correction: string;
  /** Words a lesson uses when it addresses this misconception; the rule check looks for one of them. */
  @IsArray()
  @ArrayMinSize(1)
  @IsString({ each: true })
  @Length(2, 40, { each: true })
  keywords: string[];
}

export class LessonDefinition {
  @Matches(/^l\d{2}-[a-z0-9-]+$/, { message: 'lesson id must look like l01-some-name' }) id: string;
  @IsString() @Length(3, 120) title: string;
  @IsArray() @ArrayMinSize(1) @IsString({ each: true }) objectives: string[];
  @IsArray() @ArrayMinSize(1) @IsString({ each: true }) keyConcepts: string[];
  @IsArray()
  @ArrayMinSize(1)
  @ValidateNested({ each: true })
  @Type(() => MisconceptionDefinition)
  misconceptions: MisconceptionDefinition[];
}

/** A course as kept in content/courses/*.json, validated at boot. */
export class CourseDefinition {
  @Matches(/^[a-z0-9][a-z0-9-]*$/, { message: 'course id must be lowercase words joined by -' })
  id: string;
  @IsString() @Length(3, 120) title: string;
  @IsString() @Length(3, 600) description: string;
  @IsArray()
  @ArrayMinSize(1)
  @ValidateNested({ each: true })
  @Type(() => LessonDefinition)
  lessons: LessonDefinition[];
}
