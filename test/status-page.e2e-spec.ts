import { mkdirSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { Browser, chromium } from 'playwright-core';
import { CHROMIUM_ARGS, systemChromium } from './support/chromium';
import { FAKE_KEYS, PRIMARY, startTestApp, TestApp, uniqueProfile } from './support/test-app';
import { describeIf } from './support/tools';

const ROOT = resolve(__dirname, '..');
const executablePath = systemChromium();
const KEY = 'status-key-AAAA1111BBBB2222';

describeIf(
  executablePath,
  'the status page in headless Chromium (needs chromium)',
  'bash scripts/install-chromium.sh && npm test',
)('GET /status in headless Chromium', () => {
  let t: TestApp;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    t = await startTestApp({ API_KEYS: KEY });
    await t.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('asks for the key, shows the routes and their states, and a failover on the timeline once it happens', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    await page.goto(`${base}/status?refresh=300`);

    // With API_KEYS set the page asks for a key (the data endpoint needs one) and keeps it for the session.
    await page.waitForSelector('#key-form', { state: 'visible' });
    await page.fill('#key', KEY);
    await page.click('#key-form button');
    await page.waitForSelector('tr[data-route]');

    const rows = await page.$$eval('tr[data-route]', (trs) =>
      trs.map((tr) => [
        tr.getAttribute('data-route'),
        tr.querySelector('[data-state]')?.getAttribute('data-state'),
      ]),
    );
    expect(rows).toEqual([
      ['gemini:gemini-3-flash-preview', 'closed'],
      ['gemini:gemini-2.5-flash', 'closed'],
      ['openai:gpt-4o-mini', 'closed'],
      ['anthropic:claude-haiku-4-5-20251001', 'closed'],
    ]);
    expect(await page.textContent('#timeline')).toContain('Nothing yet');
    // Provider keys by name and state, never by value.
    const keys = await page.$$eval('tr[data-key]', (trs) =>
      trs.map((tr) => tr.getAttribute('data-key')),
    );
    expect(keys).toEqual(expect.arrayContaining(['openai/default', 'anthropic/default']));
    expect(await page.textContent('tr[data-key="openai/default"]')).toContain('ready');
    expect(await page.content()).not.toContain(FAKE_KEYS.OPENAI_API_KEY);
    expect(await page.getAttribute('[data-dependency="database"] [data-state]', 'data-state')).toBe(
      'up',
    );

    // A failover happens: the primary is overloaded, traffic moves to the fallback.
    t.simulator.always(PRIMARY, 'overloaded');
    await t.http().post('/profiles').set('x-api-key', KEY).send(uniqueProfile()).expect(201);

    const switched = await page.waitForSelector('tr[data-event="switched"]', { timeout: 10_000 });
    expect(await switched.textContent()).toContain(
      'gemini:gemini-3-flash-preview → gemini:gemini-2.5-flash',
    );
    expect(await switched.textContent()).toContain('overloaded');
    await page.waitForFunction(() =>
      document.querySelector('#sticky')?.textContent?.includes('gemini:gemini-2.5-flash'),
    );
    expect(await page.textContent('#stats')).toMatch(/overloaded 1/);

    mkdirSync(join(ROOT, 'test-results'), { recursive: true });
    await page.screenshot({ path: join(ROOT, 'test-results', 'status.png'), fullPage: true });
  });
});

describeIf(
  executablePath,
  'the simulator-mode pages in headless Chromium (needs chromium)',
  'bash scripts/install-chromium.sh && npm test',
)('A newcomer with no keys, in headless Chromium', () => {
  let t: TestApp;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    // No provider key at all: the service answers from its embedded simulator.
    t = await startTestApp({
      OPENAI_API_KEY: undefined,
      ANTHROPIC_API_KEY: undefined,
      GEMINI_API_KEY: undefined,
      OPENAI_BASE_URL: undefined,
      ANTHROPIC_BASE_URL: undefined,
      GEMINI_BASE_URL: undefined,
    });
    await t.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('GET / links to the status page, which says the answers are simulated', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    await page.goto(`${base}/`);
    expect(await page.title()).toBe('Resilient LLM backend');
    await page.click('a[href="/status"]');
    await page.waitForURL(`${base}/status`);
    const banner = await page.waitForSelector('#simulated', { state: 'visible' });
    expect(await banner.textContent()).toMatch(/Simulated answers/);
    await page.waitForSelector('tr[data-route]');
  });
});
