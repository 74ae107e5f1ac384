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

function words(key: string): string {
  return key
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .toLowerCase();
}

function sampleString(schema: Schema, label: string): string {
  let text = `Simulated ${label}`;
  const minLength = schema.minLength ?? 0;
  while (text.length < minLength) text += ' and more';
  if (schema.maxLength !== undefined && text.length > schema.maxLength)
    text = text.slice(0, schema.maxLength).trimEnd();
  return text;
}

/**
 * A value that satisfies a JSON Schema (the subset the service's DTOs produce): every property present, arrays at
 * their minimum size (at least two items), numbers inside their bounds, the first enum value.
 */
export function sampleFromSchema(schema: Schema, label = 'answer'): unknown {
  if (schema.enum && schema.enum.length > 0) return schema.enum[0];
  const type = Array.isArray(schema.type)
    ? schema.type.find((item) => item !== 'null')
    : schema.type;
  switch (type) {
    case 'object': {
      const entries = Object.entries(schema.properties ?? {});
      return Object.fromEntries(
        entries.map(([key, child]) => [key, sampleFromSchema(child, words(key))]),
      );
    }
    case 'array': {
      const count = Math.min(
        Math.max(schema.minItems ?? 2, 2),
        schema.maxItems ?? Number.MAX_SAFE_INTEGER,
      );
      return Array.from({ length: count }, (_, index) =>
        sampleFromSchema(schema.items ?? {}, `${label} ${index + 1}`),
      );
    }
    case 'integer':
    case 'number':
      return schema.minimum ?? (schema.maximum !== undefined ? Math.min(1, schema.maximum) : 1);
    case 'boolean':
      return true;
    case 'string':
      return sampleString(schema, label);
    case undefined:
    default:
      return schema.properties
        ? sampleFromSchema({ ...schema, type: 'object' }, label)
        : sampleString(schema, label);
  }
}
