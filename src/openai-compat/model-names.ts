import { CallerLimits, isProviderName, parseRoute, Route, routeId, RouteParseError } from '../llm';
import { OpenAiRequestError } from './openai-request-error';

/**
 * The routes a `model` (or `fallbacks[i]`) name stands for, as other gateways accept them:
 * - an operator alias (LLM_MODEL_ALIASES): its whole chain;
 * - `provider:model`, or `provider/model` (LiteLLM's and OpenRouter's form);
 * - a bare model name (`gpt-4o-mini`): the one route of the configured chain that serves it; a name two routes serve
 *   is ambiguous (400 listing them), a name none serves is a 400 pointing to /v1/models.
 * Routes named explicitly must be allowed (the configured chain or LLM_ALLOWED_ROUTES); an alias's are.
 */
export function routesForName(
  text: string,
  param: string,
  configuredChain: readonly Route[],
  limits: CallerLimits,
): Route[] {
  const name = text.trim();
  const alias = limits.aliases[name];
  if (alias) return [...alias];
  const slash = name.indexOf('/');
  const colon = name.indexOf(':');
  const prefix = (at: number) => name.slice(0, at).toLowerCase();
  const provider = (at: number) => at > 0 && isProviderName(prefix(at), limits.providers);
  if (colon > 0 && (slash < 0 || colon < slash) && provider(colon))
    return [allowed(parsed(name, param, limits), param, limits)];
  if (provider(slash))
    return [
      allowed(parsed(`${prefix(slash)}:${name.slice(slash + 1)}`, param, limits), param, limits),
    ];
  const serving = configuredChain.filter((route) => route.model === name);
  if (serving.length === 1) return serving;
  if (serving.length > 1)
    throw new OpenAiRequestError(
      `${param} "${name}" is served by several routes; name one: ${serving.map(routeId).join(', ')}`,
      param,
      'ambiguous_model',
    );
  throw new OpenAiRequestError(
    `${param} names no model served here: use "default", an alias, a model of GET /v1/models, or provider:model with provider ${limits.providers.join(', ')}`,
    param,
    'invalid_model',
  );
}

function parsed(text: string, param: string, limits: CallerLimits): Route {
  try {
    return parseRoute(text, limits.providers);
  } catch (error) {
    if (!(error instanceof RouteParseError)) throw error;
    throw new OpenAiRequestError(
      `${param} must be "default", an alias, a model name or provider:model with provider ${limits.providers.join(', ')}: the value ${error.message}`,
      param,
      'invalid_model',
    );
  }
}

/** A route the caller may not use (neither in the configured chain nor in LLM_ALLOWED_ROUTES): 400 before any call. */
function allowed(route: Route, param: string, limits: CallerLimits): Route {
  if (limits.allows(route)) return route;
  throw new OpenAiRequestError(
    `${param} names a route this service does not allow: use "default", a configured route (GET /v1/models), or one allowed by LLM_ALLOWED_ROUTES`,
    param,
    'model_not_allowed',
  );
}
