import { accessSync, constants } from 'node:fs';

const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];

/**
 * The system Chromium (Debian's package; `scripts/install-chromium.sh` installs it, and CI runs that script).
 * Without one, a browser test is skipped on a developer's machine and fails in CI, where it must run.
 */
export function systemChromium(): string | undefined {
  for (const candidate of CANDIDATES) {
    if (!candidate) continue;
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // try the next one
    }
  }
  if (process.env.CI)
    throw new Error('No Chromium found: CI must run scripts/install-chromium.sh first');
  return undefined;
}

/** Flags for a sandboxed CI machine with no network: no GPU, no background traffic, a throwaway profile. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
