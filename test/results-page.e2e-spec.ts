import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RESULTS_PAGE, resultBlocks, withResults } from '../bench/results-page';

const ROOT = join(__dirname, '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/** The benchmark and conformance tables are generated from bench/results/, never edited by hand. */
describe('Benchmark results tables', () => {
  const page = read(RESULTS_PAGE);

  it('shows the gateway peers, the latest benchmark run and the conformance run', () => {
    expect(resultBlocks(page)).toEqual(
      expect.arrayContaining([
        'bench/results/peers.md',
        'bench/results/latest.md',
        'bench/results/conformance.md',
      ]),
    );
  });

  it('each block is exactly its results file (npm run bench and npm run conformance rewrite them)', () => {
    expect(page).toBe(withResults(page, read));
  });
});
