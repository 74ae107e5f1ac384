/**
 * The lesson's constraints in machine-readable form, sent at the end of every lesson-writing prompt after the
 * marker line. Models read it as a precise restatement of the prose; the provider simulator builds its lessons from
 * it (never from the prompt's wording), so rewording a template cannot change what the simulator answers.
 */
export const LESSON_SPEC_MARKER = 'Lesson spec (JSON):';

export interface LessonSpec {
  lessonTitle: string;
  profession: string;
  slideCount: { min: number; max: number };
  /** The exact slide types in order, when the structure is fixed (the fallback lesson). */
  slideTypes: string[] | null;
  /** A concept slide must use one of these words when it corrects the misconception. */
  misconceptionKeywords: string[];
}

export function lessonSpecLine(spec: LessonSpec): string {
  return `${LESSON_SPEC_MARKER} ${JSON.stringify(spec)}`;
}

/** The spec in a prompt, if it carries one. */
export function findLessonSpec(prompt: string): LessonSpec | undefined {
  const at = prompt.lastIndexOf(LESSON_SPEC_MARKER);
  if (at < 0) return undefined;
  const line = prompt.slice(at + LESSON_SPEC_MARKER.length).split('\n', 1)[0];
  try {
    return JSON.parse(line) as LessonSpec;
  } catch {
    return undefined;
  }
}
