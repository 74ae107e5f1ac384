/**
 * Simulated lessons that follow the lesson rules, built from what the service's own lesson prompts ask for
 * (slide count, slide types, the misconception's key words), so the zero-key default serves real-looking lessons.
 * Anything the prompt does not say falls back to a plain four-slide lesson.
 */
export function isLessonSchema(schema: Record<string, unknown>): boolean {
  const properties = schema.properties as Record<string, unknown> | undefined;
  return properties !== undefined && 'slides' in properties && 'lessonTitle' in properties;
}

function match(text: string, pattern: RegExp): string | undefined {
  return pattern.exec(text)?.[1]?.trim();
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1).trimEnd()}…`;
}

export function simulatedLesson(prompt: string): Record<string, unknown> {
  const exact = match(prompt, /exactly (\d+) slides/);
  const range = match(prompt, /Number of slides: (\d+) to \d+/);
  const count = Math.min(6, Math.max(3, Number(exact ?? range ?? 4)));
  const listed = match(prompt, /Slide types in order: ([a-z, ]+)/)
    ?.split(',')
    .map((type) => type.trim());
  const types =
    listed && listed.length === count
      ? listed
      : Array.from({ length: count }, (_, index) =>
          index === 0
            ? 'hook'
            : index === count - 1
              ? 'connection'
              : index % 2 === 1
                ? 'concept'
                : 'example',
        );
  const keyword = match(prompt, /use one of these words: ([^,)\n]+)/) ?? 'misconception';
  const title =
    match(prompt, /Lesson: (.+)/) ??
    match(prompt, /Write the lesson "(.+?)"/) ??
    'Simulated lesson';
  const profession =
    match(prompt, /Profession: (.+?) \(/) ?? match(prompt, /for a (.+?) in /) ?? 'professional';

  const itemsFor = (type: string, index: number) => {
    switch (type) {
      case 'hook':
        return [
          {
            bullet: clip(`A day as a ${profession}: where could an LLM help?`, 100),
            talk: `Picture a busy day as a ${profession}.`,
          },
          {
            bullet: 'Simulated answer: no real model wrote this lesson',
            talk: 'This lesson comes from the provider simulator.',
          },
        ];
      case 'connection':
        return [
          {
            bullet: 'Keep a human review step for high-stakes work',
            talk: 'Always have a qualified person review AI output before it is used.',
          },
          {
            bullet: clip(`Try one small task from your work as a ${profession}`, 100),
            talk: 'Start small and measure.',
          },
        ];
      default:
        return [
          {
            bullet: clip(`Common myth (${keyword}): corrected here`, 100),
            talk: `A common misconception involves "${keyword}"; here is what really happens.`,
          },
          {
            bullet: `Simulated ${type} point ${index + 1}`,
            talk: `A simulated ${type} for the lesson "${title}".`,
          },
        ];
    }
  };

  return {
    lessonTitle: clip(title, 120),
    estimatedDurationMinutes: count * 2,
    slides: types.map((slideType, index) => ({
      slideNumber: index + 1,
      slideType,
      title: clip(`${slideType[0].toUpperCase()}${slideType.slice(1)}: ${title}`, 120),
      items: itemsFor(slideType, index).map((item) => ({ type: 'text', ...item })),
    })),
  };
}
