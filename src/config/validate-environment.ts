import { ClassConstructor, plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';

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
  env: NodeJS.ProcessEnv,
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
