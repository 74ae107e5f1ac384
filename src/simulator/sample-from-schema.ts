type Schema = {
  type?: string | string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  enum?: unknown[];
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
};

/** What the simulator samples at most, like a real provider's limits on structured output. */
export const SAMPLING_LIMITS = {
  /** Items of one array. */
  items: 100,
  /** Characters of one string. */
  stringLength: 10_000,
  /** Nesting. */
  depth: 32,
  /** Values in one answer. */
  values: 20_000,
  /** Characters of all strings in one answer. */
  characters: 1_000_000,
};

/** A schema that asks for more than the simulator samples: the request gets the provider's own 400. */
export class UnsampleableSchemaError extends Error {
  constructor(reason: string) {
    super(`the schema cannot be sampled: ${reason}`);
    this.name = 'UnsampleableSchemaError';
  }
}

function words(key: string): string {
  return key
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .toLowerCase();
}

/** What one answer has spent of SAMPLING_LIMITS so far. */
interface Budget {
  values: number;
  characters: number;
}

function spend(budget: Budget, values: number, characters: number): void {
  budget.values += values;
  budget.characters += characters;
  if (budget.values > SAMPLING_LIMITS.values)
    throw new UnsampleableSchemaError(`more than ${SAMPLING_LIMITS.values} values`);
  if (budget.characters > SAMPLING_LIMITS.characters)
    throw new UnsampleableSchemaError(`more than ${SAMPLING_LIMITS.characters} characters`);
}

function sampleString(schema: Schema, label: string, budget: Budget): string {
  const minLength = schema.minLength ?? 0;
  if (!Number.isFinite(minLength) || minLength > SAMPLING_LIMITS.stringLength)
    throw new UnsampleableSchemaError(`a string of at least ${minLength} characters`);
  let text = `Simulated ${label}`;
  if (text.length < minLength) text += ' and more'.repeat(Math.ceil((minLength - text.length) / 9));
  if (schema.maxLength !== undefined && text.length > schema.maxLength)
    text = text.slice(0, Math.max(0, schema.maxLength)).trimEnd();
  spend(budget, 1, text.length);
  return text;
}

function sample(schema: Schema, label: string, depth: number, budget: Budget): unknown {
  if (depth > SAMPLING_LIMITS.depth)
    throw new UnsampleableSchemaError(`nested deeper than ${SAMPLING_LIMITS.depth}`);
  if (schema.enum && schema.enum.length > 0) {
    spend(budget, 1, 0);
    return schema.enum[0];
  }
  const type = Array.isArray(schema.type)
    ? schema.type.find((item) => item !== 'null')
    : schema.type;
  switch (type) {
    case 'object': {
      spend(budget, 1, 0);
      const entries = Object.entries(schema.properties ?? {});
      return Object.fromEntries(
        entries.map(([key, child]) => [key, sample(child, words(key), depth + 1, budget)]),
      );
    }
    case 'array': {
      const minItems = schema.minItems ?? 0;
      if (!Number.isFinite(minItems) || minItems > SAMPLING_LIMITS.items)
        throw new UnsampleableSchemaError(`an array of at least ${minItems} items`);
      const count = Math.min(Math.max(minItems, 2), schema.maxItems ?? Number.MAX_SAFE_INTEGER);
      spend(budget, 1, 0);
      return Array.from({ length: count }, (_, index) =>
        sample(schema.items ?? {}, `${label} ${index + 1}`, depth + 1, budget),
      );
    }
    case 'integer':
    case 'number':
      spend(budget, 1, 0);
      return schema.minimum ?? (schema.maximum !== undefined ? Math.min(1, schema.maximum) : 1);
    case 'boolean':
      spend(budget, 1, 0);
      return true;
    case 'string':
      return sampleString(schema, label, budget);
    case undefined:
    default:
      return schema.properties
        ? sample({ ...schema, type: 'object' }, label, depth, budget)
        : sampleString(schema, label, budget);
  }
}

/**
 * A value that satisfies a JSON Schema (the subset the service's DTOs produce): every property present, arrays at
 * their minimum size (at least two items), numbers inside their bounds, the first enum value. Within
 * SAMPLING_LIMITS: a schema that asks for more throws UnsampleableSchemaError, never exhausts the process.
 */
export function sampleFromSchema(schema: Schema, label = 'answer'): unknown {
  return sample(schema, label, 0, { values: 0, characters: 0 });
}
