import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');

/** A block of the benchmarks page that holds one results file: `<!-- results: bench/results/x.md -->` … `<!-- end of results -->`. */
const BLOCK = /<!-- results: (bench\/results\/[\w.-]+\.md) -->\n[\s\S]*?<!-- end of results -->/g;

/** The page with every results block replaced by the current content of its file. */
export function withResults(page: string, read: (path: string) => string): string {
  return page.replace(
    BLOCK,
    (_block, path: string) =>
      `<!-- results: ${path} -->\n${read(path).trimEnd()}\n<!-- end of results -->`,
  );
}

/** The results files the page shows, in order. */
export function resultBlocks(page: string): string[] {
  return [...page.matchAll(BLOCK)].map((match) => match[1]);
}

/** The page that shows the benchmark and conformance results. */
export const RESULTS_PAGE = 'docs/BENCHMARKS.md';

/** Rewrites docs/BENCHMARKS.md's results blocks from bench/results/ (the benchmarks call it after writing results). */
export function updateResultsPage(): void {
  const path = join(ROOT, RESULTS_PAGE);
  const page = readFileSync(path, 'utf8');
  const updated = withResults(page, (file) => readFileSync(join(ROOT, file), 'utf8'));
  if (updated !== page) writeFileSync(path, updated);
}

if (require.main === module) updateResultsPage();
