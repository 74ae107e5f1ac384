import { LessonRow } from '../database/schema';
import { LessonSlideDto } from './dto/lesson-content.dto';

/** The pipeline's LLM calls. */
export type LessonStep = 'generate' | 'review' | 'rewrite' | 'fallback_lesson';

export type LessonStage = 'generating' | 'reviewing' | 'rewriting' | 'fallback_lesson';

export const STAGE_OF_STEP: Record<LessonStep, LessonStage> = {
  generate: 'generating',
  review: 'reviewing',
  rewrite: 'rewriting',
  fallback_lesson: 'fallback_lesson',
};

/** What a generation tells the callers watching it, in order. */
export type LessonEvent =
  | { event: 'stage'; data: { stage: LessonStage; provider: string; model: string } }
  | {
      event: 'slide';
      data: {
        slide: LessonSlideDto;
        step: LessonStep;
        /** A slide with this number was sent before (a rewrite, the fallback lesson, or a restarted stream). */
        replaces: boolean;
      };
    };

/** How the pipeline reports progress. */
export interface LessonProgress {
  /** Whether the pipeline streams its calls (slides as they are written) or reports each call once it is done. */
  readonly streaming: boolean;
  stage(step: LessonStep, route: { provider: string; model: string }): void;
  slide(slide: LessonSlideDto, step: LessonStep): void;
}

type Listener = (event: LessonEvent) => void;

/**
 * One lesson generation in flight, shared by every caller that asks for the same lesson meanwhile: the JSON callers
 * wait for `row`; the streaming callers get its events so far, then each new one. It runs to its end whoever leaves,
 * so a paid generation is always stored.
 */
export class LessonGeneration implements LessonProgress {
  readonly events: LessonEvent[] = [];
  row!: Promise<LessonRow>;
  private readonly listeners = new Set<Listener>();
  /** The JSON of the slide last sent under each number. */
  private readonly sentSlides = new Map<number, string>();

  constructor(readonly streaming: boolean) {}

  stage(step: LessonStep, route: { provider: string; model: string }): void {
    this.emit({
      event: 'stage',
      data: { stage: STAGE_OF_STEP[step], provider: route.provider, model: route.model },
    });
  }

  /** Sends a slide unless the very same slide was sent last under its number. */
  slide(slide: LessonSlideDto, step: LessonStep): void {
    const json = JSON.stringify(slide);
    const previous = this.sentSlides.get(slide.slideNumber);
    if (previous === json) return;
    this.sentSlides.set(slide.slideNumber, json);
    this.emit({ event: 'slide', data: { slide, step, replaces: previous !== undefined } });
  }

  /** Replays the events so far to `listener`, then sends it each new one until the returned function is called. */
  subscribe(listener: Listener): () => void {
    for (const event of this.events) listener(event);
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get watchers(): number {
    return this.listeners.size;
  }

  private emit(event: LessonEvent): void {
    this.events.push(event);
    for (const listener of this.listeners) listener(event);
  }
}
