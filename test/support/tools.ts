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
