import { LessonDefinition } from '../courses/course.definition';
import { LessonContentDto, SlideType } from './dto/lesson-content.dto';
import { checkLessonRules, Difficulty, fallbackStructure, slideCountRange } from './lesson-rules';

const lesson: LessonDefinition = {
  id: 'l03-hallucinations',
  title: 'Hallucinations',
  objectives: ['o'],
  keyConcepts: ['k'],
  misconceptions: [
    {
      statement: 'Confident answers are correct',
      correction: 'No',
      keywords: ['confident', 'hallucinat'],
    },
  ],
};

/** Builder: a lesson with the given slide types whose text mentions `extra`. */
function lessonWith(
  types: SlideType[],
  extra = 'A confident answer can be wrong; keep a human review step.',
): LessonContentDto {
  return {
    lessonTitle: 'Hallucinations',
    estimatedDurationMinutes: 5,
    slides: types.map((slideType, index) => ({
      slideNumber: index + 1,
      slideType,
      title: `Slide ${index + 1}`,
      items: [{ type: 'text', bullet: index === 1 ? extra : 'Plain bullet', talk: 'Plain talk.' }],
    })),
  };
}

const context = (difficulty: Difficulty, highStakesAreas: string[] = []) => ({
  difficulty,
  lesson,
  highStakesAreas,
});

describe(checkLessonRules.name, () => {
  it('accepts a lesson that follows every rule', () => {
    expect(
      checkLessonRules(
        lessonWith(['hook', 'concept', 'example', 'connection']),
        context(3, ['dosage']),
      ),
    ).toEqual([]);
  });

  it.each([
    [1, 3, 4],
    [2, 3, 4],
    [3, 4, 5],
    [4, 5, 6],
    [5, 5, 6],
  ] as const)('difficulty %d wants %d–%d slides', (difficulty, min, max) => {
    expect(slideCountRange(difficulty)).toEqual({ min, max });
    const middle = (count: number) => Array<SlideType>(count - 2).fill('concept');
    const tooFew = lessonWith(['hook', ...middle(min - 1), 'connection']);
    const tooMany = lessonWith(['hook', ...middle(max + 1), 'connection']);
    expect(checkLessonRules(tooFew, context(difficulty))).toEqual([
      `Use ${min} to ${max} slides for difficulty ${difficulty} (found ${min - 1}).`,
    ]);
    expect(checkLessonRules(tooMany, context(difficulty))[0]).toContain(`(found ${max + 1})`);
    expect(
      checkLessonRules(lessonWith(['hook', ...middle(max), 'connection']), context(difficulty)),
    ).toEqual([]);
  });

  it('first slide hook, last slide connection', () => {
    const problems = checkLessonRules(
      lessonWith(['concept', 'concept', 'example', 'hook']),
      context(3),
    );
    expect(problems).toEqual([
      'The first slide must be a "hook".',
      'The last slide must be a "connection".',
    ]);
  });

  it('slide numbers 1..n in order', () => {
    const content = lessonWith(['hook', 'concept', 'example', 'connection']);
    content.slides[2].slideNumber = 7;
    expect(checkLessonRules(content, context(3))).toEqual(['Number the slides 1..n in order.']);
  });

  it('a misconception must be corrected (one of its key words appears)', () => {
    const problems = checkLessonRules(
      lessonWith(['hook', 'concept', 'example', 'connection'], 'Nothing relevant'),
      context(3),
    );
    expect(problems).toEqual([
      'Correct the misconception "Confident answers are correct" explicitly.',
    ]);
  });

  it('human-oversight language is required only when the profile names high-stakes areas', () => {
    const content = lessonWith(
      ['hook', 'concept', 'example', 'connection'],
      'Hallucinations happen.',
    );
    expect(checkLessonRules(content, context(3))).toEqual([]);
    expect(checkLessonRules(content, context(3, ['medication dosage']))).toEqual([
      'Tell the learner to keep a human review step for high-stakes work (medication dosage).',
    ]);
  });

  it('fallback structures match the smallest count for each difficulty and start/end correctly', () => {
    for (const difficulty of [1, 2, 3, 4, 5] as const) {
      const structure = fallbackStructure(difficulty);
      expect(structure).toHaveLength(slideCountRange(difficulty).min);
      expect(structure[0]).toBe('hook');
      expect(structure[structure.length - 1]).toBe('connection');
      expect(checkLessonRules(lessonWith(structure), context(difficulty, ['x']))).toEqual([]);
    }
  });
});
