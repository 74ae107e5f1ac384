import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import { CONTENT_ROOT } from '../common/content-path';

export const PROMPT_NAMES = [
  'lesson-generate',
  'lesson-review',
  'lesson-rewrite',
  'lesson-fallback',
] as const;
export type PromptName = (typeof PROMPT_NAMES)[number];

export interface PromptTemplate {
  name: string;
  version: number;
  system: string;
  /** What stays the same across a learner's lessons of a course (the course, the learner): sent first, cacheable. */
  context: string;
  /** What this call is about (the lesson, its difficulty, the fixes): sent last. */
  task: string;
  placeholders: string[];
}

/**
 * A rendered prompt, ordered for prompt caching: the system prompt and the context repeat across a learner's lessons
 * and form the cacheable prefix; the task varies.
 */
export interface RenderedPrompt {
  system: string;
  context: string;
  task: string;
}

const PLACEHOLDER = /\{\{(\w+)\}\}/g;

/**
 * Parses a template file: `<!-- version: N -->`, then `## system`, `## context` and `## task` sections with
 * {{placeholders}}.
 */
export function parseTemplate(name: string, text: string): PromptTemplate {
  const version = /^<!--\s*version:\s*(\d+)\s*-->/.exec(text.trimStart());
  if (!version) throw new Error(`Prompt ${name} has no <!-- version: N --> header`);
  const sections =
    /##\s*system\s*\n([\s\S]*?)\n##\s*context\s*\n([\s\S]*?)\n##\s*task\s*\n([\s\S]*)$/.exec(text);
  if (!sections)
    throw new Error(
      `Prompt ${name} needs "## system", "## context" and "## task" sections, in that order`,
    );
  const [system, context, task] = [sections[1].trim(), sections[2].trim(), sections[3].trim()];
  const placeholders = [
    ...new Set(
      [...`${system}\n${context}\n${task}`.matchAll(PLACEHOLDER)].map((match) => match[1]),
    ),
  ];
  return { name, version: Number(version[1]), system, context, task, placeholders };
}

/** Fills every placeholder; a missing value is a programming error and throws. Values no placeholder uses are ignored. */
export function renderTemplate(
  template: PromptTemplate,
  values: Record<string, string | number>,
): RenderedPrompt {
  const missing = template.placeholders.filter((name) => values[name] === undefined);
  if (missing.length > 0)
    throw new Error(`Prompt ${template.name} is missing values for ${missing.join(', ')}`);
  const fill = (text: string) =>
    text.replace(PLACEHOLDER, (_match, name: string) => String(values[name]));
  return {
    system: fill(template.system),
    context: fill(template.context),
    task: fill(template.task),
  };
}

/** The lesson prompt templates in content/prompts, loaded at boot. Their versions are part of the lesson cache key. */
@Injectable()
export class PromptLibrary {
  private readonly templates: Map<PromptName, PromptTemplate>;
  /** e.g. `lesson-generate@1+lesson-review@1+lesson-rewrite@1+lesson-fallback@1`. */
  readonly version: string;

  constructor() {
    this.templates = new Map(
      PROMPT_NAMES.map((name) => [
        name,
        parseTemplate(name, readFileSync(join(CONTENT_ROOT, 'prompts', `${name}.md`), 'utf8')),
      ]),
    );
    this.version = PROMPT_NAMES.map((name) => `${name}@${this.templates.get(name)?.version}`).join(
      '+',
    );
  }

  render(name: PromptName, values: Record<string, string | number>): RenderedPrompt {
    const template = this.templates.get(name);
    if (!template) throw new Error(`Unknown prompt ${name}`);
    return renderTemplate(template, values);
  }
}
