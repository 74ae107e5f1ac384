import { Inject, Injectable, Logger } from '@nestjs/common';
import { DomainError } from '../common/domain-error';
import { LESSONS_CONFIG, LessonsConfig } from '../config/lessons.config';
import { CourseDefinition, LessonDefinition } from '../courses/course.definition';
import { AllRoutesFailedError, LlmCallMeta, LlmService } from '../llm';
import { LearnerProfile } from '../profiles/profiles.service';
import { Adaptation } from './dto/create-lesson.dto';
import { LessonContentDto, LessonReviewDto } from './dto/lesson-content.dto';
import {
  checkLessonRules,
  Difficulty,
  fallbackStructure,
  RuleContext,
  slideCountRange,
} from './lesson-rules';
import { lessonSpecLine, LessonSpec } from './lesson-spec';
import { PromptLibrary, PromptName } from './prompt-library';

export type LessonStep = 'generate' | 'review' | 'rewrite' | 'fallback_lesson';
export type LessonCall = LlmCallMeta & { step: LessonStep };
export type LessonPipelineName = 'primary' | 'fallback_lesson';

export interface LessonRequest {
  course: CourseDefinition;
  lesson: LessonDefinition;
  profile: LearnerProfile;
  difficulty: Difficulty;
  adaptation: Adaptation | undefined;
  requestId: string;
}

export interface PipelineResult {
  content: LessonContentDto;
  pipeline: LessonPipelineName;
  calls: LessonCall[];
}

const DIFFICULTY_GUIDANCE: Record<Difficulty, string> = {
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

const bulletList = (items: string[]) => items.map((item) => `- ${item}`).join('\n');
const orNone = (items: string[]) => (items.length > 0 ? items.join('; ') : 'none');

/**
 * Generate → check rules → review (LLM) → at most one rewrite → check rules; and when the result still breaks the
 * rules, a fallback lesson from a simpler, stricter prompt, checked the same way.
 */
@Injectable()
export class LessonPipeline {
  private readonly logger = new Logger(LessonPipeline.name);

  constructor(
    private readonly llm: LlmService,
    private readonly prompts: PromptLibrary,
    @Inject(LESSONS_CONFIG) private readonly config: LessonsConfig,
  ) {}

  async run(request: LessonRequest): Promise<PipelineResult> {
    const calls: LessonCall[] = [];
    const rules: RuleContext = {
      difficulty: request.difficulty,
      lesson: request.lesson,
      highStakesAreas: request.profile.highStakesAreas,
    };
    const values = this.commonValues(request);
    const tag = `[request ${request.requestId}]`;

    let content = await this.write('generate', 'lesson-generate', values.generate, request, calls);
    let problems = checkLessonRules(content, rules);

    if (this.config.reviewEnabled) {
      const fixes = [...problems, ...(await this.review(content, values.review, request, calls))];
      if (fixes.length > 0) {
        this.logger.log(`Rewriting lesson with ${fixes.length} fixes ${tag}`);
        try {
          content = await this.write(
            'rewrite',
            'lesson-rewrite',
            { ...values.rewrite, fixes: bulletList(fixes), lessonJson: JSON.stringify(content) },
            request,
            calls,
          );
          problems = checkLessonRules(content, rules);
        } catch (error) {
          if (!(error instanceof AllRoutesFailedError)) throw error;
          this.logger.warn(`Rewrite failed on every route; using the fallback lesson ${tag}`);
          problems = ['rewrite failed'];
        }
      }
    }
    if (problems.length === 0) return { content, pipeline: 'primary', calls };

    this.logger.warn(
      `Lesson breaks ${problems.length} rule(s) (${problems.join(' ')}); using the fallback lesson ${tag}`,
    );
    const fallback = await this.write(
      'fallback_lesson',
      'lesson-fallback',
      values.fallback,
      request,
      calls,
    );
    const fallbackProblems = checkLessonRules(fallback, rules);
    if (fallbackProblems.length > 0) {
      throw new LessonRulesError(fallbackProblems, calls);
    }
    return { content: fallback, pipeline: 'fallback_lesson', calls };
  }

  /** The reviewer's fixes; an empty list when it approves. A reviewer outage skips the review rather than failing. */
  private async review(
    content: LessonContentDto,
    values: Record<string, string | number>,
    request: LessonRequest,
    calls: LessonCall[],
  ): Promise<string[]> {
    const prompt = this.prompts.render('lesson-review', {
      ...values,
      lessonJson: JSON.stringify(content),
    });
    try {
      const result = await this.llm.generateObject({
        schema: LessonReviewDto,
        schemaName: 'lesson_review',
        system: prompt.system,
        prompt: prompt.user,
        maxOutputTokens: 1024,
        requestId: request.requestId,
      });
      calls.push({ step: 'review', ...result.meta });
      return result.value.approved ? [] : result.value.fixes;
    } catch (error) {
      if (!(error instanceof AllRoutesFailedError)) throw error;
      this.logger.warn(
        `Review failed on every route; keeping the lesson unreviewed [request ${request.requestId}]`,
      );
      return [];
    }
  }

  private async write(
    step: LessonStep,
    template: PromptName,
    values: Record<string, string | number>,
    request: LessonRequest,
    calls: LessonCall[],
  ): Promise<LessonContentDto> {
    const prompt = this.prompts.render(template, values);
    const result = await this.llm.generateObject({
      schema: LessonContentDto,
      schemaName: 'lesson_content',
      system: prompt.system,
      prompt: prompt.user,
      maxOutputTokens: 4096,
      requestId: request.requestId,
    });
    calls.push({ step, ...result.meta });
    return result.value;
  }

  private commonValues(request: LessonRequest) {
    const { course, lesson, profile, difficulty, adaptation } = request;
    const misconception = lesson.misconceptions[0];
    const range = slideCountRange(difficulty);
    const oversightRequirement =
      profile.highStakesAreas.length > 0
        ? `required — the learner works in high-stakes areas (${profile.highStakesAreas.join('; ')}); say plainly that AI output there needs human review before it is used`
        : 'mention that the learner stays responsible for checking AI output';
    const learner = {
      profession: profile.profession,
      industry: profile.industry,
      experienceLevel: profile.experienceLevel,
      highStakesAreas: orNone(profile.highStakesAreas),
    };
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
        courseTitle: course.title,
        objectives: bulletList(lesson.objectives),
        keyConcepts: bulletList(lesson.keyConcepts),
        typicalOutputs: orNone(profile.typicalOutputs),
        painPoints: orNone(profile.painPoints),
        safetyPriorities: orNone(profile.safetyPriorities),
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
}

/** Even the fallback lesson broke the rules: no lesson that meets them could be produced. */
export class LessonRulesError extends DomainError {
  readonly code = 'lesson_rules_failed';
  readonly status = 503;
  /** Even the fallback lesson broke the rules: a fresh generation may well pass. */
  override readonly retryAfterSeconds = 5;
  constructor(
    readonly problems: string[],
    readonly calls: LessonCall[],
  ) {
    super('No lesson that meets the rules could be generated; try again shortly');
    this.name = 'LessonRulesError';
  }

  override publicDetails(): Record<string, unknown> {
    return {
      problems: this.problems,
      calls: this.calls.map(({ step, provider, model }) => ({ step, provider, model })),
    };
  }
}
