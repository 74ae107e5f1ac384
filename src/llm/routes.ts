import { PROVIDER_ID, PROVIDER_NAMES, ProviderName } from './providers/provider-names';

export { PROVIDER_ID, PROVIDER_NAMES } from './providers/provider-names';
export type { ProviderName, VendorName } from './providers/provider-names';

/** One `(provider, model)` pair the fallback loop can call. */
export interface Route {
  readonly provider: ProviderName;
  readonly model: string;
}

const MODEL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._\-/@:]*$/;

/** Whether `value` is one of `providers` (by default the vendors; pass the configured names to include endpoints). */
export function isProviderName(
  value: string,
  providers: readonly string[] = PROVIDER_NAMES,
): value is ProviderName {
  return providers.includes(value);
}

export function routeId(route: Route): string {
  return `${route.provider}:${route.model}`;
}

/** The form people read in logs: `gemini/gemini-2.5-flash`. */
export function routeLabel(route: Route): string {
  return `${route.provider}/${route.model}`;
}

export function sameRoute(a: Route, b: Route): boolean {
  return a.provider === b.provider && a.model === b.model;
}

export class RouteParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RouteParseError';
  }
}

/**
 * Parses `provider:model`. With `providers`, the provider must be one of them; without, any well-formed name is taken
 * (state read back from a store, written by a replica with the same configuration). Error messages describe the
 * rule, not the text (it may come from configuration).
 */
export function parseRoute(text: string, providers?: readonly string[]): Route {
  const trimmed = text.trim();
  const separator = trimmed.indexOf(':');
  if (separator <= 0) throw new RouteParseError('is not of the form provider:model');
  const provider = trimmed.slice(0, separator).trim().toLowerCase();
  const model = trimmed.slice(separator + 1).trim();
  if (providers ? !providers.includes(provider) : !PROVIDER_ID.test(provider)) {
    throw new RouteParseError(
      `names an unknown provider (expected ${(providers ?? PROVIDER_NAMES).join(', ')})`,
    );
  }
  if (!MODEL_PATTERN.test(model)) throw new RouteParseError('has no valid model name');
  return { provider, model };
}

/** Parses a comma-separated list of `provider:model`; empty items are ignored. */
export function parseRouteList(text: string, providers?: readonly string[]): Route[] {
  const items = text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
  return items.map((item, index) => {
    try {
      return parseRoute(item, providers);
    } catch (error) {
      if (!(error instanceof RouteParseError)) throw error;
      throw new RouteParseError(`item ${index + 1} ${error.message}`);
    }
  });
}

export function isValidModelName(model: string): boolean {
  return MODEL_PATTERN.test(model);
}

const DEFAULT_FALLBACKS: Record<string, string> = {
  gemini: 'gemini:gemini-2.5-flash,openai:gpt-4o-mini,anthropic:claude-haiku-4-5-20251001',
  openai: 'openai:gpt-4o-mini,gemini:gemini-2.5-flash,anthropic:claude-haiku-4-5-20251001',
  anthropic: 'anthropic:claude-haiku-4-5-20251001,openai:gpt-4o-mini,gemini:gemini-2.5-flash',
};

/** The vendors' default chain after `primary` (an endpoint as primary: every vendor's, OpenAI's order). */
export function defaultFallbacks(primary: ProviderName): Route[] {
  return parseRouteList(DEFAULT_FALLBACKS[primary] ?? DEFAULT_FALLBACKS.openai);
}

/**
 * Whether a caller may name `route`: it is in the configured chain, or matches LLM_ALLOWED_ROUTES
 * (`provider:model`, or `provider:*` for every model of a provider).
 */
export function routeAllowed(
  route: Route,
  configured: readonly Route[],
  allowed: readonly string[],
): boolean {
  if (configured.some((candidate) => sameRoute(candidate, route))) return true;
  return allowed.some((pattern) =>
    pattern.endsWith(':*')
      ? pattern.slice(0, -2).toLowerCase() === route.provider
      : (() => {
          try {
            return sameRoute(parseRoute(pattern, [route.provider]), route);
          } catch {
            return false;
          }
        })(),
  );
}

/** The ordered chain: the primary, then each fallback that is not the primary or already listed. */
export function buildChain(primary: Route, fallbacks: Route[]): Route[] {
  const chain: Route[] = [primary];
  for (const route of fallbacks) {
    if (!chain.some((existing) => sameRoute(existing, route))) chain.push(route);
  }
  return chain;
}
