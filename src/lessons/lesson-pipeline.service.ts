import { Inject, Injectable, Logger } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { Clock, CLOCK } from '../common/clock';
import { DomainError } from '../common/domain-error';
import { LESSONS_CONFIG, LessonsConfig } from '../config/lessons.config';
import {
  AllRoutesFailedError,
  GenerateObjectParams,
  LlmCallMeta,
  LlmResult,
  LlmService,
} from '../llm';
import { LessonContentDto, LessonReviewDto, LessonSlideDto } from './dto/lesson-content.dto';
import { ContentFlag, contentFlags, withoutLinksAndMarkup } from './lesson-content-check';
import { LessonProgress, LessonStep } from './lesson-generation';
import { bulletList, lessonPromptValues, LessonSubject } from './lesson-prompt-values';
import { checkLessonRules, RuleContext } from './lesson-rules';
import { PromptLibrary, PromptName } from './prompt-library';
import { SlideExtractor } from './slide-extractor';

export type { LessonStep } from './lesson-generation';
export type LessonCall = LlmCallMeta & { step: LessonStep };
export type LessonPipelineName = 'primary' | 'fallback_lesson';

export interface LessonRequest extends LessonSubject {
  requestId: string;
  /** Time left for the pipeline (set by `run`). */
  remainingMs?: () => number;
}

export interface PipelineResult {
  content: LessonContentDto;
  pipeline: LessonPipelineName;
  calls: LessonCall[];
  /** What was taken out of a lesson that still carried links or markup after its rewrite and fallback. */
  sanitized?: ContentFlag[];
}

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
    @Inject(CLOCK) private readonly clock: Pick<Clock, 'now'>,
  ) {}

  /** `progress`, when given, hears each call's stage and route and each slide (as it is written, when streaming). */
  async run(request: LessonRequest, progress?: LessonProgress): Promise<PipelineResult> {
    const calls: LessonCall[] = [];
    // One deadline for the whole pipeline (LESSON_DEADLINE_MS): each call gets what is left of it.
    const deadline = this.clock.now() + this.config.deadlineMs;
    request = { ...request, remainingMs: () => Math.max(0, deadline - this.clock.now()) };
    const rules: RuleContext = {
      difficulty: request.difficulty,
      lesson: request.lesson,
      highStakesAreas: request.profile.highStakesAreas,
    };
    const values = lessonPromptValues(request);
    const tag = `[request ${request.requestId}]`;

    let content = await this.write(
      'generate',
      'lesson-generate',
      values.generate,
      request,
      calls,
      progress,
    );
    let problems = checkLessonRules(content, rules);

    if (this.config.reviewEnabled) {
      const fixes = [
        ...problems,
        ...(await this.review(content, values.review, request, calls, progress)),
      ];
      if (fixes.length > 0) {
        this.logger.log(`Rewriting lesson with ${fixes.length} fixes ${tag}`);
        try {
          content = await this.write(
            'rewrite',
            'lesson-rewrite',
            { ...values.rewrite, fixes: bulletList(fixes), lessonJson: JSON.stringify(content) },
            request,
            calls,
            progress,
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
      progress,
    );
    let fallbackProblems = checkLessonRules(fallback, rules);
    // Links or markup that survived every instruction are taken out, and the lesson says so.
    const flags = contentFlags(fallback);
    const sanitized = flags.length > 0 ? withoutLinksAndMarkup(fallback) : fallback;
    if (flags.length > 0) fallbackProblems = checkLessonRules(sanitized, rules);
    if (fallbackProblems.length > 0) {
      throw new LessonRulesError(fallbackProblems, calls);
    }
    return {
      content: sanitized,
      pipeline: 'fallback_lesson',
      calls,
      ...(flags.length > 0 ? { sanitized: flags } : {}),
    };
  }

  /** The reviewer's fixes; an empty list when it approves. A reviewer outage skips the review rather than failing. */
  private async review(
    content: LessonContentDto,
    values: Record<string, string | number>,
    request: LessonRequest,
    calls: LessonCall[],
    progress: LessonProgress | undefined,
  ): Promise<string[]> {
    const prompt = this.prompts.render('lesson-review', {
      ...values,
      lessonJson: JSON.stringify(content),
    });
    try {
      const result = await this.call(
        'review',
        {
          schema: LessonReviewDto,
          schemaName: 'lesson_review',
          system: prompt.system,
          context: prompt.context,
          prompt: prompt.task,
          maxOutputTokens: 1024,
          requestId: request.requestId,
          timeoutMs: request.remainingMs?.(),
        },
        progress,
      );
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
    progress: LessonProgress | undefined,
  ): Promise<LessonContentDto> {
    const prompt = this.prompts.render(template, values);
    const params: GenerateObjectParams<LessonContentDto> = {
      schema: LessonContentDto,
      schemaName: 'lesson_content',
      system: prompt.system,
      context: prompt.context,
      prompt: prompt.task,
      maxOutputTokens: 4096,
      requestId: request.requestId,
      timeoutMs: request.remainingMs?.(),
    };
    const result = await this.call(step, params, progress);
    calls.push({ step, ...result.meta });
    // The complete lesson's slides: all of them after a call that was not streamed; after a streamed one, those
    // that differ from what the stream showed (a restarted stream, a slide that only validated whole).
    if (progress) for (const slide of result.value.slides) progress.slide(slide, step);
    return result.value;
  }

  /**
   * One LLM call of the pipeline: plain `generateObject` without progress (the JSON API), else reported: streamed
   * (the stage once a route answers, each slide that passes the per-slide checks as soon as it is written), or,
   * for a generation started by a JSON caller, the stage once the call is done.
   */
  private async call<T extends object>(
    step: LessonStep,
    params: GenerateObjectParams<T>,
    progress: LessonProgress | undefined,
  ): Promise<LlmResult<T>> {
    if (!progress) return this.llm.generateObject(params);
    if (!progress.streaming) {
      const result = await this.llm.generateObject(params);
      progress.stage(step, result.meta);
      return result;
    }
    let slides = new SlideExtractor();
    return this.llm.streamObject(params, {
      onStart: (meta) => progress.stage(step, meta),
      onText: (text) => {
        if (params.schema !== LessonContentDto) return;
        for (const raw of slides.push(text)) {
          const slide = checkedSlide(raw, slides.count);
          if (slide) progress.slide(slide, step);
        }
      },
      onRestart: () => {
        slides = new SlideExtractor();
      },
    });
  }
}

/**
 * A streamed slide as shown before the lesson is complete: it must pass the slide's own schema and sit at its place
 * in the deck. The whole lesson is still checked (schema and lesson rules) once it is complete.
 */
function checkedSlide(raw: unknown, position: number): LessonSlideDto | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const slide = plainToInstance(LessonSlideDto, raw);
  const errors = validateSync(slide, { whitelist: true, forbidUnknownValues: true });
  return errors.length === 0 && slide.slideNumber === position ? slide : undefined;
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
