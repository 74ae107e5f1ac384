import { registerAs } from '@nestjs/config';
import { IsBooleanString, IsOptional } from 'class-validator';
import { validateEnvironment } from './validate-environment';

class LessonsEnvironment {
  @IsOptional() @IsBooleanString() LESSON_REVIEW?: string;
}

export interface LessonsConfig {
  /** The LLM reviewer step (and its one rewrite); LESSON_REVIEW=false turns it off. */
  reviewEnabled: boolean;
}

export function loadLessonsConfig(env: NodeJS.ProcessEnv = process.env): LessonsConfig {
  const parsed = validateEnvironment(LessonsEnvironment, env);
  return { reviewEnabled: parsed.LESSON_REVIEW !== 'false' };
}

export const lessonsConfig = registerAs('lessons', () => loadLessonsConfig());
