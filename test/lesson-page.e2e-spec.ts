import { mkdirSync, readFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { Browser, chromium } from 'playwright-core';
import { CHROMIUM_ARGS, systemChromium } from './support/chromium';
import { startTestApp, TestApp } from './support/test-app';
import { describeIf } from './support/tools';

const ROOT = resolve(__dirname, '..');
const executablePath = systemChromium();

/** The example page as a browser loads it: a static file from another origin than the API (CORS). */
async function serveExample(): Promise<{ server: Server; origin: string }> {
  const page = readFileSync(join(ROOT, 'examples', 'lesson-stream.html'));
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(page);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describeIf(
  executablePath,
  'the lesson page in headless Chromium (needs chromium)',
  'bash scripts/install-chromium.sh && npm test',
)('examples/lesson-stream.html in headless Chromium', () => {
  let t: TestApp;
  let example: { server: Server; origin: string };
  let browser: Browser;
  let api: string;

  beforeAll(async () => {
    example = await serveExample();
    t = await startTestApp({ CORS_ORIGINS: example.origin });
    await t.app.listen(0, '127.0.0.1');
    api = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await new Promise((done) => example?.server.close(done));
  });

  it('renders slides as they stream in, before the lesson is done', async () => {
    t.simulator.streamGapMs = 40; // a model writing: the deck arrives over a few hundred milliseconds
    const page = await browser.newPage();
    await page.goto(`${example.origin}/?api=${encodeURIComponent(api)}`);
    await page.selectOption('select[name=experienceLevel]', 'Intermediate');
    await page.fill('input[name=profession]', 'Pharmacist');
    await page.click('#start');
    await page.waitForSelector('#status[data-state="done"]', { timeout: 20_000 });

    type Entry = { what: string; state?: string; stage?: string; from?: string; at: number };
    const log = await page.evaluate(() => (window as unknown as { renderLog: Entry[] }).renderLog);
    const position = (test: (entry: Entry) => boolean) => log.findIndex(test);
    const done = position((entry) => entry.what === 'status' && entry.state === 'done');
    const reviewing = position((entry) => entry.what === 'stage' && entry.stage === 'reviewing');
    const fromEvents = log.filter((entry) => entry.what === 'slide' && entry.from === 'event');
    const cards = await page.locator('#slides .slide').count();
    expect(cards).toBeGreaterThanOrEqual(3);
    // Every slide on screen came from its own `slide` event, none from `done`; the first one while the generator
    // was still the stage (before the reviewer's stage was shown), all of them before `done`.
    expect(fromEvents.length).toBeGreaterThanOrEqual(cards);
    expect(log.some((entry) => entry.what === 'slide' && entry.from === 'done')).toBe(false);
    expect(reviewing).toBeGreaterThan(0);
    expect(position((entry) => entry.what === 'slide')).toBeLessThan(reviewing);
    expect(log.indexOf(fromEvents.at(-1)!)).toBeLessThan(done);
    // They arrived over the generator's stream (40 ms between deltas), not all at once when it ended.
    expect(fromEvents.at(-1)!.at - fromEvents[0].at).toBeGreaterThanOrEqual(30);
    expect(await page.textContent('#status')).toMatch(/^Done: \d+ slides/);
    expect(await page.locator('#slides .slide h2').first().textContent()).toMatch(/^Hook: /);

    mkdirSync(join(ROOT, 'test-results'), { recursive: true });
    await page.screenshot({
      path: join(ROOT, 'test-results', 'lesson-stream.png'),
      fullPage: true,
    });
  });
});
