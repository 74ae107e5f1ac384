import { Dialect, JsonObject, ParsedCall } from './dialect';
import { anthropicDialect } from './dialects/anthropic';
import { geminiDialect } from './dialects/gemini';
import { openAiDialect } from './dialects/openai';

const DIALECTS: readonly Dialect[] = [openAiDialect, anthropicDialect, geminiDialect];

/** A named OpenAI-compatible endpoint: OpenAI's API under `/endpoints/<name>`. */
const ENDPOINT_PATH = /^\/endpoints\/([a-z][a-z0-9_-]{0,31})(\/.*)$/;

/** The call a POST to `path` is, in the dialect of the provider whose path it is; undefined for anything else. */
export function parseCall(
  method: string,
  path: string,
  raw: string,
): { call: ParsedCall; dialect: Dialect } | undefined {
  if (method !== 'POST') return undefined;
  let body: JsonObject;
  try {
    body = JSON.parse(raw) as JsonObject;
  } catch {
    return undefined;
  }
  const endpoint = ENDPOINT_PATH.exec(path);
  if (endpoint) {
    const route = openAiDialect.route(endpoint[2], body);
    return (
      route && {
        call: { provider: 'openai', endpoint: endpoint[1], body, ...route },
        dialect: openAiDialect,
      }
    );
  }
  for (const dialect of DIALECTS) {
    const route = dialect.route(path, body);
    if (route) return { call: { provider: dialect.provider, body, ...route }, dialect };
  }
  return undefined;
}

export type LackableCapability = 'json_schema' | 'json_object' | 'tools';

/** What each named endpoint lacks: a call using it gets the 400 a server without it answers. */
export class EndpointLacks {
  private readonly lacking = new Map<string, ReadonlySet<LackableCapability>>();

  set(name: string, capabilities: readonly LackableCapability[]): void {
    this.lacking.set(name, new Set(capabilities));
  }

  clear(): void {
    this.lacking.clear();
  }

  /** Whether the call uses something its endpoint lacks. */
  refuses(call: ParsedCall): boolean {
    const lacks = call.endpoint === undefined ? undefined : this.lacking.get(call.endpoint);
    if (!lacks) return false;
    const format = (call.body.response_format as { type?: unknown } | undefined)?.type;
    const tools = Array.isArray(call.body.tools) && call.body.tools.length > 0;
    return (
      ((format === 'json_schema' || format === 'json_object') && lacks.has(format)) ||
      (tools && lacks.has('tools'))
    );
  }
}
