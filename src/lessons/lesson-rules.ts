import { LessonDefinition } from '../courses/course.definition';
import { LessonContentDto, SlideType } from './dto/lesson-content.dto';
import { contentFlags } from './lesson-content-check';

export type Difficulty = 1 | 2 | 3 | 4 | 5;

/** Slides per difficulty: 1–2 → 3–4, 3 → 4–5, 4–5 → 5–6. */
export function slideCountRange(difficulty: Difficulty): { min: number; max: number } {
  if (difficulty <= 2) return { min: 3, max: 4 };
  if (difficulty === 3) return { min: 4, max: 5 };
  return { min: 5, max: 6 };
}

/** The fixed structure a fallback lesson follows: the smallest count for the difficulty. */
export function fallbackStructure(difficulty: Difficulty): SlideType[] {
  switch (slideCountRange(difficulty).min) {
    case 3:
      return ['hook', 'concept', 'connection'];
    case 4:
      return ['hook', 'concept', 'example', 'connection'];
    default:
      return ['hook', 'concept', 'example', 'concept', 'connection'];
  }
}

/** Words that show a lesson tells the learner to keep a qualified person in the loop. */
export const OVERSIGHT_PHRASES = [
  'human review',
  'human oversight',
  'human in the loop',
  'review',
  'verify',
  'double-check',
  'check with',
  'sign-off',
  'sign off',
  'approval',
  'oversight',
];

export interface RuleContext {
  difficulty: Difficulty;
  lesson: LessonDefinition;
  highStakesAreas: string[];
}

function lessonText(content: LessonContentDto): string {
  return content.slides
    .flatMap((slide) => [slide.title, ...slide.items.flatMap((item) => [item.bullet, item.talk])])
    .join('\n')
    .toLowerCase();
}

/** The rules the JSON Schema cannot express. Returns one sentence per broken rule (empty when the lesson passes). */
export function checkLessonRules(content: LessonContentDto, context: RuleContext): string[] {
  const problems: string[] = [];
  const slides = content.slides;
  const { min, max } = slideCountRange(context.difficulty);
  if (slides.length < min || slides.length > max) {
    problems.push(
      `Use ${min} to ${max} slides for difficulty ${context.difficulty} (found ${slides.length}).`,
    );
  }
  if (slides[0]?.slideType !== 'hook') problems.push('The first slide must be a "hook".');
  if (slides[slides.length - 1]?.slideType !== 'connection')
    problems.push('The last slide must be a "connection".');
  const numbersInOrder = slides.every((slide, index) => slide.slideNumber === index + 1);
  if (!numbersInOrder) problems.push('Number the slides 1..n in order.');
  const text = lessonText(content);
  const corrected = context.lesson.misconceptions.some((misconception) =>
    misconception.keywords.some((keyword) => text.includes(keyword.toLowerCase())),
  );
  if (!corrected) {
    problems.push(
      `Correct the misconception "${context.lesson.misconceptions[0].statement}" explicitly.`,
    );
  }
  if (
    context.highStakesAreas.length > 0 &&
    !OVERSIGHT_PHRASES.some((phrase) => text.includes(phrase))
  ) {
    problems.push(
      `Tell the learner to keep a human review step for high-stakes work (${context.highStakesAreas.join(', ')}).`,
    );
  }
  const flags = contentFlags(content);
  if (flags.length > 0)
    problems.push(`Write plain text only: remove the ${flags.join(' and ')} from the slides.`);
  return problems;
}
