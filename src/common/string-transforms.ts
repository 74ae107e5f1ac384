import { Transform } from 'class-transformer';

/** Trims and collapses runs of whitespace; leaves non-strings alone so the type rule reports them. */
export const NormalizeWhitespace = () =>
  Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' ? value.replace(/\s+/g, ' ').trim() : value,
  );

/** `?flag=true|false|1|0` to a boolean; anything else stays a string and fails @IsBoolean. */
export const QueryBoolean = () =>
  Transform(({ obj, key }: { obj: Record<string, unknown>; key: string }) => {
    const raw = obj[key];
    if (raw === 'true' || raw === '1' || raw === true) return true;
    if (raw === 'false' || raw === '0' || raw === false) return false;
    return raw;
  });
