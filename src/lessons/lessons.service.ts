import { createHash, randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { Clock, CLOCK } from '../common/clock';
import { NotFoundError } from '../common/domain-error';
import { GenerationLocks } from '../coordination/generation-locks';
import { CoursesService } from '../courses/courses.service';
import { PaidWrites } from '../database/paid-writes';
import { LessonRow } from '../database/schema';
import { Spent } from '../llm';
import { ownedBy, ProfilesService } from '../profiles/profiles.service';
import { Adaptation, CreateLessonDto } from './dto/create-lesson.dto';
import { LessonContentDto } from './dto/lesson-content.dto';
import { ContentFlag } from './lesson-content-check';
import { LessonGeneration } from './lesson-generation';
import {
  LessonCall,
  LessonPipeline,
  LessonPipelineName,
  LessonRequest,
} from './lesson-pipeline.service';
import { Difficulty } from './lesson-rules';
import { LessonsRepository } from './lessons.repository';
import { PromptLibrary } from './prompt-library';

interface StoredGeneration {
  pipeline: LessonPipelineName;
  durationMs: number;
  calls: LessonCall[];
  /** Tokens and estimated cost of every call's every attempt (absent on lessons stored before it was kept). */
  spent?: Spent;
  /** Links or markup taken out of the lesson before it was stored (none: the field is absent). */
  sanitized?: ContentFlag[];
}

export interface LessonView {
  id: string;
  courseId: string;
  lessonId: string;
  difficulty: number;
  profileId: string;
  adaptation: Adaptation | null;
  content: LessonContentDto;
  generation: StoredGeneration & { cacheHit: boolean };
  createdAt: string;
}

/** A lesson request under way: the generation to watch (none for a stored lesson) and the lesson it ends in. */
export interface LessonInProgress {
  generation: LessonGeneration | undefined;
  done: Promise<LessonView>;
}

@Injectable()
export class LessonsService {
  private readonly logger = new Logger(LessonsService.name);
  /** Generations in flight by cache key (and refresh): concurrent identical requests share one. */
  private readonly generations = new Map<string, LessonGeneration>();

  constructor(
    private readonly courses: CoursesService,
    private readonly profiles: ProfilesService,
    private readonly pipeline: LessonPipeline,
    private readonly prompts: PromptLibrary,
    private readonly repository: LessonsRepository,
    private readonly locks: GenerationLocks,
    private readonly paidWrites: PaidWrites,
    @Inject(CLOCK) private readonly clock: Pick<Clock, 'now'>,
  ) {}

  /**
   * The stored lesson for (course, lesson, difficulty, profile content, adaptation, prompt versions), or a new one.
   * Concurrent identical requests share one generation.
   */
  async create(
    input: CreateLessonDto,
    options: { refresh: boolean; requestId: string; owner?: string },
  ): Promise<LessonView> {
    return (await this.start(input, { ...options, streaming: false })).done;
  }

  /**
   * The same request, watched while it happens: a stored lesson is done at once; otherwise the generation in flight
   * for it (joined, or started streaming) reports its stages and slides.
   */
  async open(
    input: CreateLessonDto,
    options: { refresh: boolean; requestId: string; owner?: string },
  ): Promise<LessonInProgress> {
    return this.start(input, { ...options, streaming: true });
  }

  private async start(
    input: CreateLessonDto,
    options: { refresh: boolean; requestId: string; streaming: boolean; owner?: string },
  ): Promise<LessonInProgress> {
    const { course, lesson } = this.courses.findLesson(input.courseId, input.lessonId);
    const profile = await this.profiles.requireProfile(input.profileId, options.owner);
    const profileVersion = createHash('sha256')
      .update(JSON.stringify(profile))
      .digest('hex')
      .slice(0, 16);
    const cacheKey = [
      course.id,
      lesson.id,
      input.difficulty,
      `${profile.id}@${profileVersion}`,
      input.adaptation ?? 'none',
      this.prompts.version,
    ].join('|');

    if (!options.refresh) {
      const stored = await this.repository.findByCacheKey(cacheKey);
      if (stored) return { generation: undefined, done: Promise.resolve(toView(stored, true)) };
    }
    const key = `${cacheKey}|${options.refresh}`;
    const joined = this.generations.get(key);
    if (joined) return { generation: joined, done: joined.row.then((row) => toView(row, false)) };

    const inFlight = new LessonGeneration(options.streaming);
    // One generation per key in this process, and (with REDIS_URL) across the replicas: a replica that waited
    // answers with the lesson the other one stored.
    inFlight.row = this.locks
      .once(
        `lesson:${key}`,
        () =>
          this.generate(
            input,
            { course, lesson, profile, cacheKey, owner: options.owner ?? '' },
            options.requestId,
            inFlight,
          ),
        (id) => this.repository.findById(id),
      )
      .finally(() => this.generations.delete(key));
    // Watchers may all have left: a failure is logged here, never left unhandled.
    inFlight.row.catch((error: unknown) =>
      this.logger.warn(
        `Lesson generation failed: ${error instanceof Error ? error.name : 'error'} [request ${options.requestId}]`,
      ),
    );
    this.generations.set(key, inFlight);
    return { generation: inFlight, done: inFlight.row.then((row) => toView(row, false)) };
  }

  /** Runs the lesson pipeline and stores the result. */
  private async generate(
    input: CreateLessonDto,
    target: Pick<LessonRequest, 'course' | 'lesson'> & {
      profile: LessonRequest['profile'] & { id: string };
      cacheKey: string;
      owner: string;
    },
    requestId: string,
    inFlight: LessonGeneration,
  ): Promise<LessonRow> {
    const { course, lesson, profile, cacheKey, owner } = target;
    const started = this.clock.now();
    const result = await this.pipeline.run(
      {
        course,
        lesson,
        profile,
        difficulty: input.difficulty as Difficulty,
        adaptation: input.adaptation,
        requestId,
      },
      inFlight,
    );
    const generation: StoredGeneration = {
      pipeline: result.pipeline,
      durationMs: Math.round(this.clock.now() - started),
      calls: result.calls,
      spent: sumSpent(result.calls.map((call) => call.spent)),
      ...(result.sanitized ? { sanitized: result.sanitized } : {}),
    };
    const row = await this.paidWrites.store('lesson', () =>
      this.repository.upsert({
        id: randomUUID(),
        owner,
        cacheKey,
        courseId: course.id,
        lessonId: lesson.id,
        difficulty: input.difficulty,
        profileId: profile.id,
        adaptation: input.adaptation ?? null,
        promptVersion: this.prompts.version,
        content: result.content,
        generation,
      }),
    );
    this.logger.log(
      `Stored lesson ${row.id} (${lesson.id}, difficulty ${input.difficulty}, ${result.pipeline}, ${result.calls.length} calls) [request ${requestId}]`,
    );
    return row;
  }

  /** A stored lesson its owner may read (another client's is as unknown as a missing one: 404). */
  async findById(id: string, owner?: string): Promise<LessonView> {
    const stored = await this.repository.findById(id);
    if (!stored || !ownedBy(stored, owner)) throw new NotFoundError(`Lesson ${id} not found`);
    return toView(stored, true);
  }
}

function toView(row: LessonRow, cacheHit: boolean): LessonView {
  return {
    id: row.id,
    courseId: row.courseId,
    lessonId: row.lessonId,
    difficulty: row.difficulty,
    profileId: row.profileId,
    adaptation: (row.adaptation as Adaptation | null) ?? null,
    content: inReadingOrder(row.content as LessonContentDto),
    generation: { ...(row.generation as StoredGeneration), cacheHit },
    createdAt: row.createdAt.toISOString(),
  };
}

/** jsonb keeps keys sorted its own way; answer in the documented order. */
function inReadingOrder(content: LessonContentDto): LessonContentDto {
  return {
    lessonTitle: content.lessonTitle,
    estimatedDurationMinutes: content.estimatedDurationMinutes,
    slides: content.slides.map((slide) => ({
      slideNumber: slide.slideNumber,
      slideType: slide.slideType,
      title: slide.title,
      items: slide.items.map((item) => ({ type: item.type, bullet: item.bullet, talk: item.talk })),
    })),
  };
}

/** The calls' spending, added up (the cost unknown when any call's is). */
function sumSpent(spent: Spent[]): Spent {
  return spent.reduce(
    (total, each) => ({
      inputTokens: total.inputTokens + each.inputTokens,
      cachedInputTokens: total.cachedInputTokens + each.cachedInputTokens,
      outputTokens: total.outputTokens + each.outputTokens,
      usd: total.usd === null || each.usd === null ? null : total.usd + each.usd,
    }),
    { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0, usd: 0 },
  );
}
