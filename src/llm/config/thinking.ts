import { parseRoute, Route, RouteParseError, routeId } from '../routes';

/**
 * How much a model may think before it answers. Thinking models (Gemini 2.5 and 3, OpenAI reasoning models) count
 * thought tokens against the output limit, so every call sets the control deliberately:
 * - `off`: as little as the model allows (Gemini 2.5 Flash budget 0, Gemini 3 `minimal`, OpenAI `minimal`/`low`);
 * - `low`: a small budget;
 * - `default`: the provider's own default (the output limit gets generous headroom).
 */
export const THINKING_LEVELS = ['off', 'low', 'default'] as const;
export type ThinkingLevel = (typeof THINKING_LEVELS)[number];

/** The level per route, with a default for routes not named. */
export interface ThinkingSettings {
  default: ThinkingLevel;
  routes: Record<string, ThinkingLevel>;
}

export const DEFAULT_THINKING: ThinkingSettings = { default: 'off', routes: {} };

const isLevel = (value: string): value is ThinkingLevel =>
  (THINKING_LEVELS as readonly string[]).includes(value);

/**
 * `LLM_THINKING`: one level for every route (`off`), or `provider:model=level` items with an optional `*=level`
 * (`*=off,gemini:gemini-2.5-pro=low`). Throws RouteParseError naming the rule.
 */
export function parseThinking(text: string, providers?: readonly string[]): ThinkingSettings {
  const trimmed = text.trim();
  if (isLevel(trimmed)) return { default: trimmed, routes: {} };
  const settings: ThinkingSettings = { default: DEFAULT_THINKING.default, routes: {} };
  for (const [position, item] of trimmed
    .split(',')
    .map((part) => part.trim())
    .entries()) {
    if (item.length === 0) continue;
    const equals = item.lastIndexOf('=');
    const level = item.slice(equals + 1).trim();
    if (equals <= 0 || !isLevel(level))
      throw new RouteParseError(
        `item ${position + 1} is not of the form provider:model=off|low|default`,
      );
    const target = item.slice(0, equals).trim();
    if (target === '*') settings.default = level;
    else settings.routes[routeId(parseRoute(target, providers))] = level;
  }
  return settings;
}

export function thinkingFor(settings: ThinkingSettings, route: Route): ThinkingLevel {
  return settings.routes[routeId(route)] ?? settings.default;
}
