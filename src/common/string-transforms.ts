import { Transform } from 'class-transformer';
import { Matches } from 'class-validator';

/**
 * Trims and collapses runs of spaces, tabs and line breaks; leaves non-strings alone so the type rule reports them,
 * and leaves other characters (Unicode separators, zero-width and bidi characters) for PlainText to refuse.
 */
export const NormalizeWhitespace = () =>
  Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' ? value.replace(/[ \t\n\r]+/g, ' ').trim() : value,
  );

/** Control (Cc, C1 included), format (Cf: bidi overrides, zero-width characters) and line/paragraph separators. */
const NOT_PLAIN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

/**
 * A user-supplied text field that goes into prompts: refuses control characters, format characters (bidi overrides,
 * zero-width) and Unicode line/paragraph separators, with a 400 naming the field.
 */
export const PlainText = () =>
  Matches(new RegExp(`^[^${NOT_PLAIN.source.slice(1, -1)}]*$`, 'u'), {
    message: ({ property }) =>
      `${property} must be plain text: no control, invisible (zero-width, bidi) or line-separator characters`,
  });

/** `?flag=true|false|1|0` to a boolean; anything else stays a string and fails @IsBoolean. */
export const QueryBoolean = () =>
  Transform(({ obj, key }: { obj: Record<string, unknown>; key: string }) => {
    const raw = obj[key];
    if (raw === 'true' || raw === '1' || raw === true) return true;
    if (raw === 'false' || raw === '0' || raw === false) return false;
    return raw;
  });
