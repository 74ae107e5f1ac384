// Implicit conversion of numbers reads the design:type metadata that reflect-metadata makes TypeScript emit.
import 'reflect-metadata';
import { ClassConstructor, plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';

/** The variables configuration is read from: `process.env` in main.ts, a plain object in tests. */
export type Environment = Readonly<Record<string, string | undefined>>;

/** Thrown at boot when an environment variable breaks its rule. Names the variable and the rule, never the value. */
export class ConfigValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigValidationError';
  }
}

function describe(error: ValidationError): string[] {
  const rules = Object.values(error.constraints ?? {});
  return rules.map((rule) =>
    rule.startsWith(error.property) ? rule : `${error.property}: ${rule}`,
  );
}

/**
 * Validates the environment against a class whose properties are named after the variables.
 * Empty strings count as unset, so `FOO=` behaves like no FOO at all.
 */
export function validateEnvironment<T extends object>(
  schema: ClassConstructor<T>,
  env: Environment,
): T {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value.trim() !== ''),
  );
  const parsed = plainToInstance(schema, present, { enableImplicitConversion: true });
  const errors = validateSync(parsed, {
    whitelist: true,
    validationError: { value: false, target: false },
  });
  if (errors.length > 0) throw new ConfigValidationError(errors.flatMap(describe));
  return parsed;
}

/** The items of a comma-separated variable, trimmed, empty ones dropped (`a, ,b,` → `['a', 'b']`). */
export function listItems(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}
