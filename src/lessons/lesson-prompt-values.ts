import type { CourseDefinition, LessonDefinition } from '../courses/course.definition';
import type { LearnerProfile } from '../profiles/profiles.service';
import type { Adaptation } from './dto/create-lesson.dto';
import { fallbackStructure, slideCountRange, Difficulty } from './lesson-rules';
import { lessonSpecLine, LessonSpec } from './lesson-spec';

/** What a lesson is about and for whom: everything its prompts say. */
export interface LessonSubject {
  course: CourseDefinition;
  lesson: LessonDefinition;
  profile: LearnerProfile;
  difficulty: Difficulty;
  adaptation: Adaptation | undefined;
}

export const DIFFICULTY_GUIDANCE: Record<Difficulty, string> = {
  1: 'gentlest: everyday words, no jargon, one familiar example per idea, short sentences',
  2: 'gentle: plain language, at most one or two defined terms, concrete examples from their work',
  3: 'intermediate: name the key terms and define them briefly, examples with some nuance',
  4: 'advanced: precise terminology, trade-offs and limits, examples with edge cases',
  5: 'most advanced: expert depth, failure modes and mitigations, realistic edge cases from their field',
};

const ADAPTATION_GUIDANCE: Record<Adaptation, string> = {
  simplify_this:
    'Adaptation: the learner asked to simplify this — shorter sentences, simpler words, one idea per bullet.',
  get_to_the_point:
    'Adaptation: the learner asked to get to the point — fewer words, the key facts first, no padding.',
  more_examples:
    'Adaptation: the learner asked for more examples — add concrete examples from their daily work.',
};

export const bulletList = (items: string[]) => items.map((item) => `- ${item}`).join('\n');

/**
 * The learner as a data block: JSON (quotes and newlines escaped), with `<` escaped too, so nothing a user wrote can
 * close the `<learner_data>` block around it. The prompts tell the model to treat it as data.
 */
export function learnerData(profile: LessonSubject['profile']): string {
  const facts = {
    profession: profile.profession,
    industry: profile.industry,
    experienceLevel: profile.experienceLevel,
    dailyResponsibilities: profile.dailyResponsibilities,
    typicalOutputs: profile.typicalOutputs,
    painPoints: profile.painPoints,
    safetyPriorities: profile.safetyPriorities,
    highStakesAreas: profile.highStakesAreas,
  };
  return JSON.stringify(facts, null, 2).replace(/</g, '\\u003c');
}

/**
 * The values every lesson template is filled with, per step: the learner, the lesson, its difficulty and
 * adaptation, the misconception to correct, and the machine-readable lesson spec each writing prompt ends with.
 */
export function lessonPromptValues(request: LessonSubject) {
  const { course, lesson, profile, difficulty, adaptation } = request;
  const misconception = lesson.misconceptions[0];
  const range = slideCountRange(difficulty);
  const oversightRequirement =
    profile.highStakesAreas.length > 0
      ? `required — the learner works in high-stakes areas (${profile.highStakesAreas.join('; ')}); say plainly that AI output there needs human review before it is used`
      : 'mention that the learner stays responsible for checking AI output';
  // What repeats across a learner's lessons of a course, first in every prompt (the cacheable prefix).
  const learner = { courseTitle: course.title, learnerData: learnerData(profile) };
  const lessonBasics = {
    lessonTitle: lesson.title,
    difficulty,
    difficultyGuidance: DIFFICULTY_GUIDANCE[difficulty],
  };
  const misconceptionValues = {
    misconception: misconception.statement,
    misconceptionKeywords: misconception.keywords.join(', '),
  };
  const adaptationGuidance = adaptation ? ADAPTATION_GUIDANCE[adaptation] : '';
  const structure = fallbackStructure(difficulty);
  const spec = (slideCount: LessonSpec['slideCount'], slideTypes: string[] | null) =>
    lessonSpecLine({
      lessonTitle: lesson.title,
      profession: profile.profession,
      slideCount,
      slideTypes,
      misconceptionKeywords: misconception.keywords,
    });
  return {
    generate: {
      ...learner,
      ...lessonBasics,
      ...misconceptionValues,
      objectives: bulletList(lesson.objectives),
      keyConcepts: bulletList(lesson.keyConcepts),
      adaptationGuidance,
      slideCountMin: range.min,
      slideCountMax: range.max,
      misconceptionCorrection: misconception.correction,
      oversightRequirement,
      lessonSpec: spec(range, null),
    },
    review: { ...learner, ...lessonBasics, misconception: misconception.statement },
    rewrite: {
      ...learner,
      ...lessonBasics,
      ...misconceptionValues,
      adaptationGuidance,
      slideCountMin: range.min,
      slideCountMax: range.max,
      oversightRequirement,
      lessonSpec: spec(range, null),
    },
    fallback: {
      ...learner,
      ...lessonBasics,
      ...misconceptionValues,
      misconceptionCorrection: misconception.correction,
      oversightRequirement,
      slideCountMin: structure.length,
      structure: structure.map((type, index) => `${index + 1}. ${type}`).join('\n'),
      slideTypes: structure.join(', '),
      lessonSpec: spec({ min: structure.length, max: structure.length }, structure),
    },
  };
}
