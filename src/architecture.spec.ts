import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import * as ts from 'typescript';

/**
 * The layering docs/ARCHITECTURE.md describes, checked on the real import graph of src/ (unit specs left out):
 * which folder may import which, features reach the LLM layer only through its public face, and no cycles.
 */
const SRC = resolve(__dirname);

/** Folder → the folders it may import. The composition root (src/*.ts) may import anything. */
const ALLOWED: Record<string, readonly string[]> = {
  config: [],
  common: ['config'],
  openapi: ['common'],
  metrics: ['common', 'config'],
  database: ['common', 'config'],
  simulator: ['common'],
  llm: ['common', 'config', 'metrics', 'openapi'],
  coordination: ['common', 'config', 'metrics', 'llm'],
  courses: ['common', 'config', 'openapi'],
  profiles: ['common', 'config', 'database', 'openapi', 'llm', 'coordination'],
  lessons: [
    'common',
    'config',
    'database',
    'openapi',
    'llm',
    'coordination',
    'profiles',
    'courses',
  ],
  'openai-compat': ['common', 'openapi', 'llm'],
  health: ['common', 'config', 'database', 'openapi', 'llm', 'spend'],
  spend: ['common', 'config', 'metrics', 'coordination'],
  observability: ['common', 'config'],
};

function sourceFiles(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.spec.ts') ? [path] : [];
  });
}

function resolveImport(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const base = resolve(dirname(from), specifier);
  for (const candidate of [`${base}.ts`, join(base, 'index.ts')]) {
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not this one
    }
  }
  return undefined;
}

const files = sourceFiles(SRC);
const graph = new Map<string, string[]>(
  files.map((file) => [
    file,
    ts
      .preProcessFile(readFileSync(file, 'utf8'), true, true)
      .importedFiles.map((imported) => resolveImport(file, imported.fileName))
      .filter((target): target is string => target !== undefined),
  ]),
);
const rel = (file: string) => relative(SRC, file).replace(/\\/g, '/');
const folderOf = (file: string) => (rel(file).includes('/') ? rel(file).split('/')[0] : undefined);

describe('Architecture (the import graph of src/)', () => {
  it('every folder imports only the folders it may', () => {
    const violations: string[] = [];
    for (const [file, targets] of graph) {
      const from = folderOf(file);
      if (from === undefined) continue; // the composition root
      const allowed = ALLOWED[from];
      if (!allowed) {
        violations.push(`${rel(file)}: folder ${from} is not in the layering table`);
        continue;
      }
      for (const target of targets) {
        const to = folderOf(target);
        if (to === from) continue;
        const targetPath = rel(target).replace(/\.ts$/, '');
        if (to === undefined || !(allowed.includes(to) || allowed.includes(targetPath)))
          violations.push(`${rel(file)} → ${rel(target)}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('outside src/llm, the LLM layer is imported only through its public face (src/llm/index.ts)', () => {
    const deep = [...graph].flatMap(([file, targets]) =>
      folderOf(file) === 'llm'
        ? []
        : targets
            .filter((target) => folderOf(target) === 'llm' && rel(target) !== 'llm/index.ts')
            .map((target) => `${rel(file)} → ${rel(target)}`),
    );
    expect(deep).toEqual([]);
  });

  it('no source file is over 400 lines (split it by concern)', () => {
    const long = files
      .map((file) => ({ file: rel(file), lines: readFileSync(file, 'utf8').split('\n').length }))
      .filter(({ lines }) => lines > 400)
      .map(({ file, lines }) => `${file} (${lines})`);
    expect(long).toEqual([]);
  });

  it('src/llm keeps at most 8 files at its top level (the rest live in its rooms)', () => {
    const top = readdirSync(join(SRC, 'llm')).filter(
      (name) => name.endsWith('.ts') && !name.endsWith('.spec.ts'),
    );
    expect(top.length).toBeLessThanOrEqual(8);
  });

  it('the engine does not carry its test double, and the simulator knows no feature', () => {
    const edges = [...graph].flatMap(([file, targets]) =>
      targets.map((target) => [folderOf(file), folderOf(target), `${rel(file)} → ${rel(target)}`]),
    );
    const features = ['profiles', 'courses', 'lessons', 'openai-compat', 'health', 'spend'];
    expect(edges.filter(([from, to]) => from === 'llm' && to === 'simulator')).toEqual([]);
    expect(
      edges.filter(([from, to]) => from === 'simulator' && features.includes(to ?? '')),
    ).toEqual([]);
  });

  it('has no import cycles', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'visiting') {
        cycles.push([...path.slice(path.indexOf(file)), file].map(rel).join(' → '));
        return;
      }
      state.set(file, 'visiting');
      for (const target of graph.get(file) ?? []) visit(target, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of graph.keys()) visit(file, []);
    expect(cycles).toEqual([]);
  });
});
