import Ajv, { ValidateFunction } from 'ajv';
import type { DataValidationCxt } from 'ajv/dist/types';
import { ClassConstructor } from 'class-transformer';
import { getMetadataStorage, ValidationArguments, ValidationTypes } from 'class-validator';
// class-transformer keeps @Type()/@Transform() metadata here.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { defaultMetadataStorage } = require('class-transformer/cjs/storage') as {
  defaultMetadataStorage: TransformerStorage;
};

interface TransformerStorage {
  findTypeMetadata(
    target: ClassConstructor<object>,
    property: string,
  ): { typeFunction: () => unknown; options?: object } | undefined;
  findTransformMetadatas(
    target: ClassConstructor<object>,
    property: string,
    type: number,
  ): unknown[];
  findExposeMetadata(target: ClassConstructor<object>, property: string): unknown;
  findExcludeMetadata(target: ClassConstructor<object>, property: string): unknown;
}

/** class-transformer's TransformationType.PLAIN_TO_CLASS. */
const PLAIN_TO_CLASS = 0;

type Storage = ReturnType<typeof getMetadataStorage>;
type Metadata = ReturnType<Storage['getTargetValidationMetadatas']>[number];

interface Constraint {
  validate(value: unknown, args: ValidationArguments): unknown;
}
interface Rule {
  constraint: Constraint;
  constraints: unknown[];
  each: boolean;
  targetName: string;
  property: string;
}
interface ConditionalProperty {
  property: string;
  conditions: Array<(object: object, value: unknown) => boolean>;
  check: ValidateFunction;
}

/** class-validator's reading of a sync constraint's answer; a promise is left to class-validator itself. */
function passed(answer: unknown): boolean {
  return Boolean(answer) && typeof (answer as { then?: unknown }).then !== 'function';
}

/** A class whose rules cannot be compiled exactly; such a class is left to class-validator. */
class NotCompilable extends Error {}

/**
 * A request DTO's class-validator rules compiled once into an ajv validator, for the request path: one pass over a
 * parsed body, no class-transformer, no error objects built for a body that passes.
 *
 * The structure (objects, arrays of nested DTOs, the whitelist, required properties) is ajv's own; each property's
 * constraints run class-validator's own constraint functions (`@IsString`, `@MaxLength`, custom `ValidateBy`
 * rules, with their `each` option), and `@IsOptional`/`@ValidateIf` conditions are evaluated on the object as
 * class-validator evaluates them, so a body passes here only if class-validator passes it too. A body that fails
 * here goes to class-validator for its exact messages. A class is not compiled (and always goes to class-validator)
 * when anything in it would need class-transformer or rules this does not model: a `@Transform`, `@Expose` or
 * `@Exclude`, a field with an initial value, `@IsDefined`, async or promise rules, groups, a nested DTO without
 * `@Type`, recursion.
 */
export class CompiledValidation {
  private readonly ajv = new Ajv({ allErrors: false, strict: false, unicodeRegExp: false });
  private readonly rules: Rule[][] = [];
  private readonly conditionals: ConditionalProperty[][] = [];
  private readonly compiled = new Map<ClassConstructor<object>, ValidateFunction | null>();

  constructor(private readonly storage: Storage = getMetadataStorage()) {
    this.ajv.addKeyword({
      keyword: 'classValidatorRules',
      schemaType: 'number',
      validate: (id: number, value: unknown, _schema?: unknown, context?: DataValidationCxt) =>
        this.runRules(this.rules[id], value, context?.parentData as object),
    });
    this.ajv.addKeyword({
      keyword: 'classValidatorConditionals',
      type: 'object',
      schemaType: 'number',
      validate: (id: number, object: unknown, _schema?: unknown, context?: DataValidationCxt) =>
        this.runConditionals(this.conditionals[id], object as Record<string, unknown>, context),
    });
  }

  /** The compiled check for `type`, or undefined when the class is left to class-validator. */
  validatorFor(type: ClassConstructor<object>): ValidateFunction | undefined {
    let validate = this.compiled.get(type);
    if (validate === undefined) {
      try {
        validate = this.ajv.compile(this.classSchema(type, []));
      } catch (error) {
        if (!(error instanceof NotCompilable)) throw error;
        validate = null;
      }
      this.compiled.set(type, validate);
    }
    return validate ?? undefined;
  }

  private classSchema(type: ClassConstructor<object>, seen: ClassConstructor<object>[]): object {
    if (seen.includes(type)) throw new NotCompilable('recursive');
    let instance: object;
    try {
      instance = new type();
    } catch {
      throw new NotCompilable('constructor');
    }
    // plainToInstance would keep a field's initial value; a plain body would not have it. (Declared fields without
    // one are own properties holding undefined under ES2022 class fields.)
    if (Object.values(instance).some((value) => value !== undefined))
      throw new NotCompilable('initialised field');
    const metadatas = this.storage.getTargetValidationMetadatas(type, '', false, false);
    if (metadatas.length === 0) throw new NotCompilable('no rules');
    const byProperty = new Map<string, Metadata[]>();
    for (const metadata of metadatas) {
      const list = byProperty.get(metadata.propertyName) ?? [];
      list.push(metadata);
      byProperty.set(metadata.propertyName, list);
    }
    const properties: Record<string, object> = {};
    const required: string[] = [];
    const conditionals: ConditionalProperty[] = [];
    for (const [property, list] of byProperty) {
      this.refuseTransforms(type, property);
      const conditions = list.filter((m) => m.type === ValidationTypes.CONDITIONAL_VALIDATION);
      const checks = this.propertySchema(type, property, list, [...seen, type]);
      const onlyWhitelisted = list.every((m) => m.type === ValidationTypes.WHITELIST);
      if (conditions.length > 0) {
        properties[property] = {};
        conditionals.push({
          property,
          conditions: conditions.map(
            (m) => m.constraints[0] as (object: object, value: unknown) => boolean,
          ),
          check: this.ajv.compile(checks),
        });
      } else {
        properties[property] = checks;
        if (!onlyWhitelisted) required.push(property);
      }
    }
    const schema: Record<string, unknown> = {
      type: 'object',
      properties,
      additionalProperties: false,
      required,
    };
    if (conditionals.length > 0) {
      this.conditionals.push(conditionals);
      schema.classValidatorConditionals = this.conditionals.length - 1;
    }
    return schema;
  }

  private propertySchema(
    type: ClassConstructor<object>,
    property: string,
    list: Metadata[],
    seen: ClassConstructor<object>[],
  ) {
    const parts: object[] = [];
    const rules: Rule[] = [];
    for (const metadata of list) {
      if ((metadata.groups?.length ?? 0) > 0 || metadata.always) throw new NotCompilable('groups');
      switch (metadata.type) {
        case ValidationTypes.WHITELIST:
        case ValidationTypes.CONDITIONAL_VALIDATION:
          break;
        case ValidationTypes.CUSTOM_VALIDATION:
          rules.push(...this.rulesOf(type, property, metadata));
          break;
        case ValidationTypes.NESTED_VALIDATION: {
          const nested = defaultMetadataStorage.findTypeMetadata(type, property);
          if (!nested) throw new NotCompilable('nested without @Type');
          const nestedType = nested.typeFunction() as ClassConstructor<object>;
          const nestedSchema = this.classSchema(nestedType, seen);
          parts.push(metadata.each ? { type: 'array', items: nestedSchema } : nestedSchema);
          break;
        }
        default:
          throw new NotCompilable(metadata.type);
      }
    }
    if (rules.length > 0) {
      this.rules.push(rules);
      parts.push({ classValidatorRules: this.rules.length - 1 });
    }
    return parts.length === 0 ? {} : parts.length === 1 ? parts[0] : { allOf: parts };
  }

  private rulesOf(type: ClassConstructor<object>, property: string, metadata: Metadata): Rule[] {
    const constraints = metadata.constraintCls
      ? this.storage.getTargetValidatorConstraints(metadata.constraintCls)
      : [];
    if (constraints.length === 0) throw new NotCompilable('constraint without a validator');
    return constraints.map((constraint) => {
      if (constraint.async) throw new NotCompilable('async');
      return {
        constraint: constraint.instance,
        constraints: metadata.constraints,
        each: metadata.each,
        targetName: type.name,
        property,
      };
    });
  }

  private refuseTransforms(type: ClassConstructor<object>, property: string): void {
    const transforms = defaultMetadataStorage.findTransformMetadatas(
      type,
      property,
      PLAIN_TO_CLASS,
    );
    if (
      transforms.length > 0 ||
      defaultMetadataStorage.findExposeMetadata(type, property) ||
      defaultMetadataStorage.findExcludeMetadata(type, property)
    )
      throw new NotCompilable('class-transformer rules');
  }

  /** class-validator's custom validations: every constraint on the value, or on each item with `each`. */
  private runRules(rules: Rule[], value: unknown, object: object): boolean {
    for (const rule of rules) {
      const args = {
        targetName: rule.targetName,
        property: rule.property,
        object,
        value,
        constraints: rule.constraints,
      };
      if (rule.each && (Array.isArray(value) || value instanceof Set || value instanceof Map)) {
        const items =
          value instanceof Map ? [...value.values()] : [...(value as Iterable<unknown>)];
        for (const item of items) if (!passed(rule.constraint.validate(item, args))) return false;
      } else if (!passed(rule.constraint.validate(value, args))) return false;
    }
    return true;
  }

  /** Properties under `@IsOptional`/`@ValidateIf`: checked (present or not) when every condition holds. */
  private runConditionals(
    properties: ConditionalProperty[],
    object: Record<string, unknown>,
    context: DataValidationCxt | undefined,
  ): boolean {
    for (const { property, conditions, check } of properties) {
      const value = object[property];
      if (!conditions.every((condition) => condition(object, value))) continue;
      const valid = check(value, {
        instancePath: `${context?.instancePath ?? ''}/${property}`,
        parentData: object,
        parentDataProperty: property,
        rootData: context?.rootData ?? object,
        dynamicAnchors: {},
      });
      if (!valid) return false;
    }
    return true;
  }
}
