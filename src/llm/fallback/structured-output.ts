import { ClassConstructor, plainToInstance } from 'class-transformer';
import { validate, ValidationError } from 'class-validator';
import { jsonSchemaFor } from '../../common/json-schema';
import { GenerateObjectParams, ProviderRequest } from '../llm.types';

/** Why an output was rejected, for logs: property paths and rule names, never the content. */
export class InvalidOutputError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'InvalidOutputError';
  }
}

function flatten(errors: ValidationError[], parent = ''): string[] {
  return errors.flatMap((error) => {
    const path = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.keys(error.constraints ?? {}).map((rule) => `${path} ${rule}`);
    return [...own, ...flatten(error.children ?? [], path)];
  });
}

/** Parses model text as JSON (a lone fenced block is accepted) and validates it against the DTO class. */
export async function parseStructuredOutput<T extends object>(
  text: string,
  dto: ClassConstructor<T>,
): Promise<T> {
  // A NUL character cannot be stored (PostgreSQL text and jsonb refuse it) and has no place in an answer.
  if (text.includes('\u0000') || /\\u0000/i.test(text))
    throw new InvalidOutputError('contains a NUL character');
  const fenced = /^\s*```(?:json)?\s*\n([\s\S]*?)\n\s*```\s*$/.exec(text);
  const candidate = (fenced ? fenced[1] : text).trim();
  if (!candidate.startsWith('{')) throw new InvalidOutputError('not a JSON object');
  let parsed: unknown;
  try {
    parsed = JSON.parse(candidate);
  } catch {
    throw new InvalidOutputError('not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InvalidOutputError('not a JSON object');
  }
  const instance = plainToInstance(dto, parsed);
  const errors = await validate(instance, { whitelist: true, forbidUnknownValues: true });
  if (errors.length > 0)
    throw new InvalidOutputError(`schema violations: ${flatten(errors).slice(0, 5).join(', ')}`);
  return instance;
}

/** The request for a structured object: a system and a user message, and the DTO's JSON Schema as the format. */
export function objectRequest<T extends object>(
  params: GenerateObjectParams<T>,
): Omit<ProviderRequest, 'model'> {
  return {
    messages: [
      { role: 'system', content: params.system, cacheBreakpoint: params.context === undefined },
      ...(params.context === undefined
        ? []
        : [{ role: 'user' as const, content: params.context, cacheBreakpoint: true }]),
      { role: 'user', content: params.prompt },
    ],
    responseFormat: {
      type: 'json_schema',
      name: params.schemaName,
      schema: jsonSchemaFor(params.schema),
    },
    maxOutputTokens: params.maxOutputTokens,
    temperature: params.temperature,
  };
}
