import { IsBooleanString, IsOptional } from 'class-validator';
import { Environment, validateEnvironment } from './validate-environment';

class LessonsEnvironment {
  @IsOptional() @IsBooleanString() LESSON_REVIEW?: string;
}

export interface LessonsConfig {
  /** The LLM reviewer step (and its one rewrite); LESSON_REVIEW=false turns it off. */
  reviewEnabled: boolean;
}

export function loadLessonsConfig(env: Environment): LessonsConfig {
  const parsed = validateEnvironment(LessonsEnvironment, env);
  return { reviewEnabled: parsed.LESSON_REVIEW !== 'false' };
}

/** Injection token of the validated `lessons` namespace (provided by ConfigurationModule). */
export const LESSONS_CONFIG = Symbol('LESSONS_CONFIG');
