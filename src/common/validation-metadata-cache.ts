import { getMetadataStorage } from 'class-validator';

type Storage = ReturnType<typeof getMetadataStorage>;
type ValidationMetadata = ReturnType<Storage['getTargetValidationMetadatas']>[number];

const CACHED = Symbol('cachedTargetValidationMetadatas');

/**
 * Makes class-validator's rule lookup a map read. On every validation of every object (each nested message of a
 * chat request too), `MetadataStorage.getTargetValidationMetadatas` filters the class's rules and walks every
 * validated class in the process for inheritance. Its answer depends only on its arguments and on the rules
 * registered, and rules are registered when decorated classes are defined, so it is memoised per class and options,
 * and the memo is dropped whenever a rule or constraint is added. Idempotent; applied once at boot by configureApp.
 */
export function cacheValidationMetadata(storage: Storage = getMetadataStorage()): void {
  const marked = storage as Storage & { [CACHED]?: true };
  if (marked[CACHED]) return;
  marked[CACHED] = true;
  const lookup = storage.getTargetValidationMetadatas.bind(storage);
  const addValidation = storage.addValidationMetadata.bind(storage);
  const addConstraint = storage.addConstraintMetadata.bind(storage);
  let memo = new Map<object, Map<string, ValidationMetadata[]>>();
  storage.addValidationMetadata = (metadata) => {
    memo = new Map();
    addValidation(metadata);
  };
  storage.addConstraintMetadata = (metadata) => {
    memo = new Map();
    addConstraint(metadata);
  };
  storage.getTargetValidationMetadatas = (target, schema, always, strictGroups, groups) => {
    const key = `${schema ?? ''}\u0000${always}\u0000${strictGroups}\u0000${groups?.join('\u0000') ?? ''}`;
    let byOptions = memo.get(target);
    if (!byOptions) memo.set(target, (byOptions = new Map<string, ValidationMetadata[]>()));
    let metadatas = byOptions.get(key);
    if (!metadatas)
      byOptions.set(key, (metadatas = lookup(target, schema, always, strictGroups, groups)));
    return metadatas;
  };
}
