import { sampleFromSchema, SAMPLING_LIMITS, UnsampleableSchemaError } from './sample-from-schema';

describe('sampleFromSchema', () => {
  it('samples every property, arrays at their minimum (two at least), strings at their minimum length', () => {
    expect(
      sampleFromSchema({
        type: 'object',
        properties: {
          tags: { type: 'array', minItems: 3, items: { type: 'string' } },
          note: { type: 'string', minLength: 30 },
          level: { type: 'integer', minimum: 2 },
        },
      }),
    ).toEqual({
      tags: ['Simulated tags 1', 'Simulated tags 2', 'Simulated tags 3'],
      note: expect.stringMatching(/^Simulated note( and more)+$/),
      level: 2,
    });
  });

  it.each([
    ['an array of 10^10 items', { type: 'array', minItems: 1e10 }],
    ['an array of 10^8 items', { type: 'array', minItems: 1e8 }],
    ['a string of 10^9 characters', { type: 'string', minLength: 1e9 }],
    ['nesting past the limit', nested(SAMPLING_LIMITS.depth + 2)],
    [
      'arrays that multiply past the value budget',
      {
        type: 'array',
        minItems: 100,
        items: { type: 'array', minItems: 100, items: { type: 'array', minItems: 100 } },
      },
    ],
  ])('refuses %s with UnsampleableSchemaError, at once', (_name, schema) => {
    expect(() => sampleFromSchema(schema)).toThrow(UnsampleableSchemaError);
  });
});

function nested(depth: number): object {
  let schema: object = { type: 'string' };
  for (let level = 0; level < depth; level += 1)
    schema = { type: 'object', properties: { inner: schema } };
  return schema;
}
