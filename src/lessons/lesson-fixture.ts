import { findLessonSpec, LessonSpec } from './lesson-spec';

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1).trimEnd()}…`;
}

/**
 * Simulated lessons that follow the lesson rules, built from the machine-readable lesson spec the service's lesson
 * prompts carry (`findLessonSpec`): slide count, slide types, the misconception's key words. The prompt's wording
 * plays no part, so the zero-key default serves real-looking lessons whatever the templates say.
 */
export function simulatedLesson(spec: LessonSpec): Record<string, unknown> {
  const count = Math.min(6, Math.max(3, spec.slideTypes?.length ?? spec.slideCount.min));
  const types =
    spec.slideTypes && spec.slideTypes.length === count
      ? spec.slideTypes
      : Array.from({ length: count }, (_, index) =>
          index === 0
            ? 'hook'
            : index === count - 1
              ? 'connection'
              : index % 2 === 1
                ? 'concept'
                : 'example',
        );
  const keyword = spec.misconceptionKeywords[0] ?? 'misconception';
  const title = spec.lessonTitle || 'Simulated lesson';
  const profession = spec.profession || 'professional';

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

/**
 * The lesson fixture as the provider simulator takes it (a structured-answer source): a lesson for a prompt that
 * carries a lesson spec, nothing for any other. The composition root plugs it in; the simulator knows no lessons.
 */
export function simulatedLessonAnswer(promptText: string): unknown {
  const spec = findLessonSpec(promptText);
  return spec ? simulatedLesson(spec) : undefined;
}
