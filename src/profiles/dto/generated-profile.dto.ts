import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsString, Length } from 'class-validator';

export const COMFORT_LEVELS = ['low', 'medium', 'high'] as const;

/**
 * What the model writes about a learner. The same class validates the model's output and gives the JSON Schema
 * handed to each provider's native structured-output field.
 */
export class GeneratedProfileDto {
  @IsArray()
  @ArrayMinSize(2)
  @ArrayMaxSize(6)
  @IsString({ each: true })
  @Length(1, 200, { each: true })
  dailyResponsibilities: string[];

  @IsArray()
  @ArrayMinSize(2)
  @ArrayMaxSize(6)
  @IsString({ each: true })
  @Length(1, 200, { each: true })
  painPoints: string[];

  @IsArray()
  @ArrayMinSize(2)
  @ArrayMaxSize(6)
  @IsString({ each: true })
  @Length(1, 200, { each: true })
  typicalOutputs: string[];

  @IsIn(COMFORT_LEVELS)
  technicalComfortLevel: (typeof COMFORT_LEVELS)[number];

  @IsString()
  @Length(1, 600)
  learningStyleNotes: string;

  @IsArray()
  @ArrayMinSize(2)
  @ArrayMaxSize(6)
  @IsString({ each: true })
  @Length(1, 200, { each: true })
  professionalGoals: string[];

  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(6)
  @IsString({ each: true })
  @Length(1, 200, { each: true })
  safetyPriorities: string[];

  @IsArray()
  @ArrayMinSize(0)
  @ArrayMaxSize(6)
  @IsString({ each: true })
  @Length(1, 200, { each: true })
  highStakesAreas: string[];
}
