import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resultBlocks, withResults } from '../bench/readme-results';

const ROOT = join(__dirname, '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/** The README's benchmark and conformance tables are generated from bench/results/, never edited by hand. */
describe('README results tables', () => {
  const readme = read('README.md');

  it('shows the gateway peers, the latest benchmark run and the conformance run', () => {
    expect(resultBlocks(readme)).toEqual(
      expect.arrayContaining([
        'bench/results/peers.md',
        'bench/results/latest.md',
        'bench/results/conformance.md',
      ]),
    );
  });

  it('each block is exactly its results file (npm run bench and npm run conformance rewrite them)', () => {
    expect(readme).toBe(withResults(readme, read));
  });
});
