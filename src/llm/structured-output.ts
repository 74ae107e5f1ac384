import { ClassConstructor, plainToInstance } from 'class-transformer';
// class-transformer keeps @Type() metadata here; the schema generator needs it to follow nested classes.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { defaultMetadataStorage } = require('class-transformer/cjs/storage') as {
  defaultMetadataStorage: object;
};
import { validate, ValidationError } from 'class-validator';
import { validationMetadatasToSchemas } from 'class-validator-jsonschema';
import { JsonSchema } from './llm.types';

type SchemaObject = Record<string, unknown> & {
  $ref?: string;
  type?: string;
  properties?: Record<string, SchemaObject>;
  items?: SchemaObject;
  required?: string[];
};

const REF_PREFIX = '#/definitions/';
const schemaCache = new Map<ClassConstructor<object>, JsonSchema>();

/** Replaces `$ref`s with the definitions they name, so every provider gets one self-contained schema. */
function inline(
  schema: SchemaObject,
  definitions: Record<string, SchemaObject>,
  seen: string[],
  strict = true,
): SchemaObject {
  if (schema.$ref) {
    const name = schema.$ref.slice(REF_PREFIX.length);
    if (seen.includes(name)) throw new Error(`Recursive schema ${name} cannot be inlined`);
    const target = definitions[name];
    // Docs schemas tolerate fields without class-validator rules (they become "any"); provider schemas do not.
    if (!target && !strict) return {};
    if (!target)
      throw new Error(
        `Schema ${name} not found; is the class decorated with class-validator rules?`,
      );
    return inline(target, definitions, [...seen, name], strict);
  }
  const result: SchemaObject = { ...schema };
  if (schema.properties) {
    result.properties = Object.fromEntries(
      Object.entries(schema.properties).map(([key, value]) => [
        key,
        inline(value, definitions, seen, strict),
      ]),
    );
    // Strict structured output (OpenAI) wants every property required and nothing else allowed.
    if (strict) result.required = Object.keys(schema.properties);
    result.additionalProperties = false;
    result.type = 'object';
  }
  if (schema.items) result.items = inline(schema.items, definitions, seen, strict);
  return result;
}

/** A DTO class's schema with every nested class inlined; `strict` makes every property required. */
function schemaOf(dto: ClassConstructor<object>, strict: boolean): JsonSchema {
  const definitions = validationMetadatasToSchemas({
    refPointerPrefix: REF_PREFIX,
    classTransformerMetadataStorage: defaultMetadataStorage as never,
  }) as Record<string, SchemaObject>;
  const root = definitions[dto.name];
  if (!root) throw new Error(`No class-validator rules found for ${dto.name}`);
  return inline(root, definitions, [dto.name], strict);
}

/** The JSON Schema of a request DTO as class-validator sees it (optional fields stay optional), for API docs. */
export function requestSchemaFor(dto: ClassConstructor<object>): JsonSchema {
  return schemaOf(dto, false);
}

/**
 * The JSON Schema of a DTO class, built from its class-validator rules, so one class both validates the output
 * and tells each provider's native structured-output field what to produce. Computed once per class.
 */
export function jsonSchemaFor(dto: ClassConstructor<object>): JsonSchema {
  const cached = schemaCache.get(dto);
  if (cached) return cached;
  const schema = schemaOf(dto, true);
  schemaCache.set(dto, schema);
  return schema;
}

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
