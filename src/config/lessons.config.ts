import { IsBooleanString, IsInt, IsOptional, Max, Min } from 'class-validator';
import { Environment, validateEnvironment } from './validate-environment';

class LessonsEnvironment {
  @IsOptional() @IsBooleanString() LESSON_REVIEW?: string;
  @IsOptional() @IsInt() @Min(1_000) @Max(900_000) LESSON_DEADLINE_MS?: number;
}

export interface LessonsConfig {
  /** The LLM reviewer step (and its one rewrite); LESSON_REVIEW=false turns it off. */
  reviewEnabled: boolean;
  /** One deadline for a whole lesson: generate, review, rewrite and the fallback lesson together. */
  deadlineMs: number;
}

export function loadLessonsConfig(env: Environment): LessonsConfig {
  const parsed = validateEnvironment(LessonsEnvironment, env);
  return {
    reviewEnabled: parsed.LESSON_REVIEW !== 'false',
    deadlineMs: parsed.LESSON_DEADLINE_MS ?? 90_000,
  };
}

/** Injection token of the validated `lessons` namespace (provided by ConfigurationModule). */
export const LESSONS_CONFIG = Symbol('LESSONS_CONFIG');
