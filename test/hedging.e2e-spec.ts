import {
  AttemptBody,
  GEMINI_FALLBACK,
  PRIMARY,
  route,
  startTestApp,
  TestApp,
  uniqueProfile,
} from './support/test-app';

describe('Hedged requests (LLM_HEDGE_AFTER_MS): a slow but healthy primary', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ LLM_HEDGE_AFTER_MS: '200', LLM_HEDGE_MAX_SHARE: '1' });
  });
  afterAll(() => t.close());
  beforeEach(() => t.simulator.reset());

  it('the next route starts after 200 ms and answers; the primary is abandoned and charged; traffic stays on the primary', async () => {
    const plain = await t.http().post('/profiles').send(uniqueProfile()).expect(201);
    t.simulator.reset();
    t.simulator.always(PRIMARY, { fault: 'slow', delayMs: 1_200 });
    const response = await t.http().post('/profiles').send(uniqueProfile()).expect(201);
    const attempts = response.body.llm.attempts as AttemptBody[];
    expect(attempts.map((a) => [route(a), a.outcome])).toEqual(
      expect.arrayContaining([
        [PRIMARY, 'client_aborted'],
        [GEMINI_FALLBACK, 'success'],
      ]),
    );
    expect(response.body.llm).toMatchObject({ model: 'gemini-2.5-flash' });
    // Both were sent, so both are charged: the abandoned primary its input at least.
    const inputOf = (body: { llm: { spent: { inputTokens: number } } }) =>
      body.llm.spent.inputTokens;
    expect(inputOf(response.body)).toBeGreaterThan(1.5 * inputOf(plain.body));
    expect(t.simulator.attemptsFor(PRIMARY)).toHaveLength(1);
    // A slow answer is not an outage: the primary stays the sticky route.
    const health = (await t.http().get('/health/llm').expect(200)).body as {
      sticky: { model: string };
    };
    expect(health.sticky.model).toBe('gemini-3-flash-preview');
    const metrics = (await t.http().get('/metrics').expect(200)).text;
    expect(metrics).toMatch(/llm_hedged_requests_total\{winner="hedge"\} [1-9]/);
  });

  it('a primary that answers in time is never hedged', async () => {
    const response = await t.http().post('/profiles').send(uniqueProfile()).expect(201);
    expect(response.body.llm.attempts.map(route)).toEqual([PRIMARY]);
    expect(t.simulator.attemptsFor(GEMINI_FALLBACK)).toEqual([]);
  });
});
