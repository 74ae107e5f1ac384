import { Type } from 'class-transformer';
import {
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsString,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { jsonSchemaFor } from '../../common/json-schema';
import { InvalidOutputError, parseStructuredOutput } from './structured-output';

class Item {
  @IsString() @MaxLength(20) label: string;
  @IsInt() @Min(1) @Max(5) score: number;
}

class Doc {
  @IsIn(['a', 'b']) kind: string;
  @IsArray() @ArrayMinSize(1) @ValidateNested({ each: true }) @Type(() => Item) items: Item[];
}

describe(jsonSchemaFor.name, () => {
  it('builds one self-contained strict schema from the class-validator rules', () => {
    const schema = jsonSchemaFor(Doc);
    expect(JSON.stringify(schema)).not.toContain('$ref');
    expect(schema).toMatchObject({
      type: 'object',
      additionalProperties: false,
      required: ['kind', 'items'],
      properties: {
        kind: { enum: ['a', 'b'] },
        items: {
          type: 'array',
          minItems: 1,
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['label', 'score'],
            properties: {
              label: { type: 'string', maxLength: 20 },
              score: { type: 'integer', minimum: 1, maximum: 5 },
            },
          },
        },
      },
    });
  });
});

describe(parseStructuredOutput.name, () => {
  it('parses and validates, nested classes included', async () => {
    const doc = await parseStructuredOutput('{"kind":"a","items":[{"label":"x","score":3}]}', Doc);
    expect(doc.items[0]).toBeInstanceOf(Item);
  });

  it('accepts a lone fenced JSON block', async () => {
    await expect(
      parseStructuredOutput('```json\n{"kind":"b","items":[{"label":"x","score":1}]}\n```', Doc),
    ).resolves.toBeInstanceOf(Doc);
  });

  it.each([
    ['prose', 'Sure! Here is your answer.'],
    ['truncated JSON', '{"kind":"a","items":[{"lab'],
    ['an array', '[1,2]'],
    ['a nested rule broken', '{"kind":"a","items":[{"label":"x","score":9}]}'],
    ['an enum broken', '{"kind":"z","items":[{"label":"x","score":1}]}'],
    ['an empty array', '{"kind":"a","items":[]}'],
  ])('rejects %s', async (_name, text) => {
    await expect(parseStructuredOutput(text, Doc)).rejects.toBeInstanceOf(InvalidOutputError);
  });
});
