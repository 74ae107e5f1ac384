import { Type, plainToInstance } from 'class-transformer';
import {
  IsInt,
  IsString,
  MaxLength,
  validate,
  ValidateNested,
  getMetadataStorage,
} from 'class-validator';
import { cacheValidationMetadata } from './validation-metadata-cache';

class ItemDto {
  @IsString() name: string;
}

class BaseDto {
  @IsInt() count: number;
}

class OrderDto extends BaseDto {
  @IsString() @MaxLength(5) label: string;
  @ValidateNested({ each: true }) @Type(() => ItemDto) items: ItemDto[];
}

const storage = getMetadataStorage();
const lookup = (target: object) =>
  storage
    .getTargetValidationMetadatas(target as never, '', false, false)
    .map((metadata) => `${metadata.propertyName}:${metadata.type}:${metadata.name ?? ''}`)
    .sort();

async function problems(plain: object): Promise<string[]> {
  const errors = await validate(plainToInstance(OrderDto, plain), { forbidUnknownValues: true });
  const flat = (list: typeof errors, path = ''): string[] =>
    list.flatMap((error) => [
      ...Object.keys(error.constraints ?? {}).map((rule) => `${path}${error.property}:${rule}`),
      ...flat(error.children ?? [], `${path}${error.property}.`),
    ]);
  return flat(errors).sort();
}

describe('cacheValidationMetadata', () => {
  const bad = { count: 'x', label: 'too long', items: [{ name: 1 }, { name: 'ok' }] };

  it('answers every lookup and validation exactly as class-validator does without it', async () => {
    const before = { order: lookup(OrderDto), item: lookup(ItemDto), base: lookup(BaseDto) };
    const errorsBefore = await problems(bad);
    cacheValidationMetadata(storage);
    cacheValidationMetadata(storage); // idempotent
    expect({ order: lookup(OrderDto), item: lookup(ItemDto), base: lookup(BaseDto) }).toEqual(
      before,
    );
    const first = storage.getTargetValidationMetadatas(OrderDto, '', false, false);
    expect(storage.getTargetValidationMetadatas(OrderDto, '', false, false)).toBe(first); // a map read
    expect(before.order).toEqual(expect.arrayContaining(['count:customValidation:isInt']));
    expect(await problems(bad)).toEqual(errorsBefore);
    expect(errorsBefore).toEqual(['count:isInt', 'items.0.name:isString', 'label:maxLength']);
    expect(await problems({ count: 1, label: 'ok', items: [{ name: 'a' }] })).toEqual([]);
  });

  it('forgets its answers when a rule is added later', () => {
    cacheValidationMetadata(storage);
    const cached = lookup(OrderDto);
    class Extended extends OrderDto {}
    expect(lookup(Extended)).toEqual(cached);
    IsString()(Extended.prototype, 'note');
    expect(lookup(Extended)).toEqual([...cached, 'note:customValidation:isString'].sort());
    // A rule added to a parent class reaches the classes already looked up.
    IsString()(BaseDto.prototype, 'extra');
    expect(lookup(OrderDto)).toContain('extra:customValidation:isString');
  });
});
