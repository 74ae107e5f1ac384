import { ClassConstructor } from 'class-transformer';
import { validationMetadatasToSchemas } from 'class-validator-jsonschema';
// class-transformer keeps @Type() metadata here; the schema generator needs it to follow nested classes.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { defaultMetadataStorage } = require('class-transformer/cjs/storage') as {
  defaultMetadataStorage: object;
};

/** A JSON Schema document (draft 7 / OpenAPI 3.1 subset). */
export type JsonSchema = Record<string, unknown>;

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
    const required = new Set(schema.required ?? []);
    result.properties = Object.fromEntries(
      Object.entries(schema.properties).map(([key, value]) => {
        const property = inline(value, definitions, seen, strict);
        // In docs, an optional field may be null as well as absent: class-validator's @IsOptional lets both through.
        return [key, strict || required.has(key) ? property : { ...property, nullable: true }];
      }),
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
