import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfiguration } from './app.configuration';
import { bootBanner, loadDotEnv, reachableUrl } from './boot-banner';
import { parseRouteList } from './llm/routes';

describe('the boot: .env and the banner', () => {
  it('reads .env when there is one, the real environment winning, and names the file, never its values', () => {
    const folder = mkdtempSync(join(tmpdir(), 'dotenv-'));
    expect(loadDotEnv(folder)).toBeUndefined();
    writeFileSync(
      join(folder, '.env'),
      'DOTENV_SPEC_FROM_FILE=file-value\nDOTENV_SPEC_BOTH=file-value\n',
    );
    const env: NodeJS.ProcessEnv = { DOTENV_SPEC_BOTH: 'real-value' };
    expect(loadDotEnv(folder, env)).toBe(join(folder, '.env'));
    expect(env).toEqual({ DOTENV_SPEC_FROM_FILE: 'file-value', DOTENV_SPEC_BOTH: 'real-value' });
  });

  it('says where it listens, whether answers are simulated, and where to look', () => {
    const simulated = loadConfiguration({ DATABASE_URL: 'pglite://memory', PORT: '4000' });
    const lines = bootBanner(simulated, [], '/srv/app/.env').join('\n');
    expect(lines).toContain('every interface, port 4000 (http://localhost:4000)');
    expect(lines).toMatch(/SIMULATED/);
    expect(lines).toContain('/srv/app/.env');
    expect(lines).toContain('http://localhost:4000/status');
    expect(lines).toContain('http://localhost:4000/v1');

    const real = loadConfiguration({
      DATABASE_URL: 'pglite://memory',
      HOST: '127.0.0.1',
      OPENAI_API_KEY: 'sk-secret-value-0123456789',
      DOCS_ENABLED: 'false',
    });
    const shown = bootBanner(real, parseRouteList('openai:gpt-4o-mini'), undefined).join('\n');
    expect(shown).toContain('127.0.0.1:3000');
    expect(shown).toContain('openai:gpt-4o-mini');
    expect(shown).not.toMatch(/SIMULATED|\/docs/);
    expect(shown).not.toContain('sk-secret');
  });

  it('turns a bound address into one a person can open', () => {
    expect(reachableUrl('::', 3000)).toBe('http://localhost:3000');
    expect(reachableUrl('0.0.0.0', 80)).toBe('http://localhost:80');
    expect(reachableUrl('10.0.0.5', 3000)).toBe('http://10.0.0.5:3000');
    expect(reachableUrl('fd00::1', 3000)).toBe('http://[fd00::1]:3000');
  });
});
