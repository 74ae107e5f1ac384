import { OPENAI, startTestApp, TestApp } from './support/test-app';

const ALICE = 'alice:alice-key-AAAA1111BBBB2222CCCC';
const BOB = 'bob:bob-key-DDDD3333EEEE4444FFFF';
const aliceKey = ALICE.slice('alice:'.length);
const bobKey = BOB.slice('bob:'.length);

/** $1,000 per million tokens both ways: a tenth of a cent per token, so a few requests spend a dollar. */
const PRICE_PER_TOKEN = 0.001;
const BUDGET_USD = 1;
/** About 100 tokens of prompt (the service estimates four characters a token). */
const PROMPT = 'word '.repeat(80);
/** What one request may cost at worst: its ~100-token prompt and max_tokens 100, at the price above. */
const ONE_RESERVATION_USD = 0.21;

function chat(t: TestApp, key: string) {
  return t
    .http()
    .post('/v1/chat/completions')
    .set('authorization', `Bearer ${key}`)
    .send({ model: OPENAI, messages: [{ role: 'user', content: PROMPT }], max_tokens: 100 });
}

async function costOf(t: TestApp, client: string): Promise<number> {
  const metrics = (await t.http().get('/metrics').set('authorization', `Bearer ${bobKey}`)).text;
  return Number(
    new RegExp(`llm_client_cost_usd_total\\{client="${client}"\\} ([\\d.e-]+)`).exec(
      metrics,
    )?.[1] ?? 0,
  );
}

describe('A daily USD budget per key, and spend where people look', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({
      API_KEYS: `${ALICE},${BOB}`,
      USD_BUDGET_PER_KEY_PER_DAY: String(BUDGET_USD),
      LLM_PRICES: JSON.stringify({ [OPENAI]: { input: 1_000, output: 1_000 } }),
      MAX_IN_FLIGHT_PER_KEY: '100',
    });
  });
  afterAll(() => t.close());

  it('12 concurrent requests overshoot a USD budget by at most one reservation; another key is still served', async () => {
    // Every request is checked before any is charged: only reservations can hold the budget.
    t.simulator.always(OPENAI, { fault: 'slow', delayMs: 300 });
    const answers = await Promise.all(Array.from({ length: 12 }, () => chat(t, aliceKey)));
    t.simulator.reset();
    const answered = answers.filter((answer) => answer.status === 200).length;
    const refused = answers.filter(
      (answer) => answer.status === 429 && answer.body.error?.code === 'budget_exceeded',
    );
    expect(answered + refused.length).toBe(12);
    // Without reservations all 12 would be answered; each holds ~$0.2 of a $1 budget.
    expect(answered).toBeLessThanOrEqual(Math.ceil(BUDGET_USD / 0.2));
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0].body.error.message).toMatch(/daily budget of \$1 for this client/);
    expect(Number(refused[0].headers['retry-after'])).toBeGreaterThan(0);
    const spent = await costOf(t, 'alice');
    expect(spent).toBeGreaterThan(0);
    expect(spent).toBeLessThanOrEqual(BUDGET_USD + ONE_RESERVATION_USD);
    // Settled to what the answers cost (their reported usage at the route's price), not to the reservations.
    const usage = answers
      .filter((answer) => answer.status === 200)
      .reduce(
        (sum, answer) =>
          sum + answer.body.usage.prompt_tokens + answer.body.usage.completion_tokens,
        0,
      );
    expect(spent).toBeCloseTo(usage * PRICE_PER_TOKEN, 6);
    expect((await chat(t, bobKey)).status).toBe(200);
  });

  it('/status shows spend per client today, and the share of input read from prompt caches', async () => {
    const data = (
      await t.http().get('/status/data').set('authorization', `Bearer ${bobKey}`).expect(200)
    ).body as {
      spendToday: Array<{ client: string; tokens: number; usd: number }>;
      recent: { cacheHitShare: number | null };
    };
    const byClient = Object.fromEntries(data.spendToday.map((entry) => [entry.client, entry]));
    expect(byClient.alice.usd).toBeCloseTo(await costOf(t, 'alice'), 6);
    expect(byClient.alice.tokens).toBeGreaterThan(0);
    expect(byClient.bob.usd).toBeGreaterThan(0);
    // Sorted by cost, most first.
    expect(data.spendToday[0].usd).toBeGreaterThanOrEqual(data.spendToday[1].usd);
    expect(data.recent.cacheHitShare).toBe(0);
  });
});
