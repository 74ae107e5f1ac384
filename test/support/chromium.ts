import { systemTool } from './tools';

/** The system Chromium (Debian's package; `scripts/install-chromium.sh` installs it, and CI runs that script). */
export function systemChromium(): string | undefined {
  return systemTool(
    [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'],
    'scripts/install-chromium.sh',
  );
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
