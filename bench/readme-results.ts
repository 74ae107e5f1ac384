import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');

/** A block of the README that holds one results file: `<!-- results: bench/results/x.md -->` … `<!-- end of results -->`. */
const BLOCK = /<!-- results: (bench\/results\/[\w.-]+\.md) -->\n[\s\S]*?<!-- end of results -->/g;

/** The README with every results block replaced by the current content of its file. */
export function withResults(readme: string, read: (path: string) => string): string {
  return readme.replace(
    BLOCK,
    (_block, path: string) =>
      `<!-- results: ${path} -->\n${read(path).trimEnd()}\n<!-- end of results -->`,
  );
}

/** The results files the README shows, in order. */
export function resultBlocks(readme: string): string[] {
  return [...readme.matchAll(BLOCK)].map((match) => match[1]);
}

/** Rewrites README.md's results blocks from bench/results/ (the benchmarks call it after writing their results). */
export function updateReadme(): void {
  const path = join(ROOT, 'README.md');
  const readme = readFileSync(path, 'utf8');
  const updated = withResults(readme, (file) => readFileSync(join(ROOT, file), 'utf8'));
  if (updated !== readme) writeFileSync(path, updated);
}

if (require.main === module) updateReadme();
