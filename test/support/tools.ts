import { accessSync, constants } from 'node:fs';

/**
 * The first executable among `candidates` (a system tool from Debian's packages). Without one, a test that needs it
 * is skipped on a developer's machine and fails in CI, where `.ci/run` installs it with `installScript`.
 */
export function systemTool(
  candidates: Array<string | undefined>,
  installScript: string,
): string | undefined {
  for (const candidate of candidates) {
    if (!candidate) continue;
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // try the next one
    }
  }
  if (process.env.CI)
    throw new Error(`${candidates.join(', ')} not found: CI must run ${installScript} first`);
  return undefined;
}

/**
 * `describe`, or `describe.skip` with a line on stderr that says why and which command runs the suite, so a skipped
 * suite is never silent.
 */
export function describeIf(available: unknown, suite: string, howToRun: string): jest.Describe {
  if (available) return describe;
  process.stderr.write(`\n  Skipped: ${suite}. To run it: ${howToRun}\n`);
  return describe.skip;
}

/** How to run the suites that need a PostgreSQL server (and Redis), as CI does. */
export const WITH_POSTGRES =
  'E2E_DATABASE_URL=$(bash scripts/start-postgres.sh) bash -c "bash scripts/start-redis.sh && npm run test:e2e"';
