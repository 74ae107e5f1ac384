import { ArgumentMetadata, Injectable, PipeTransform, ValidationPipe } from '@nestjs/common';
import { CompiledValidation } from './compiled-validation';

/**
 * The global validation pipe: a body, query or parameter DTO that passes its compiled check (`CompiledValidation`)
 * goes to the handler as parsed; anything else (a body that fails, a DTO that cannot be compiled, a primitive) goes
 * to Nest's `ValidationPipe` with the same options as before, so every refusal keeps class-validator's messages.
 */
@Injectable()
export class CompiledValidationPipe implements PipeTransform {
  constructor(
    private readonly fallback: ValidationPipe,
    private readonly compiled = new CompiledValidation(),
  ) {}

  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    const type = metadata.metatype;
    if (metadata.type !== 'custom' && typeof type === 'function' && !isBuiltIn(type)) {
      const check = this.compiled.validatorFor(type);
      if (check?.(value)) return value;
    }
    return this.fallback.transform(value, metadata);
  }
}

const BUILT_IN: unknown[] = [String, Boolean, Number, Array, Object, Buffer];

function isBuiltIn(type: unknown): boolean {
  return BUILT_IN.includes(type);
}
