import OpenAI from 'openai';
import { OPENAI, openAiClientFor, startTestApp, TestApp } from './support/test-app';

const metricValue = (text: string, pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? NaN);

describe('Operator metrics: in flight, client_aborted, dependencies', () => {
  let t: TestApp;
  let client: OpenAI;
  beforeAll(async () => {
    t = await startTestApp();
    client = await openAiClientFor(t, 'x');
  });
  afterAll(() => t.close());

  it('a stream the client abandons counts as client_aborted (never as a success) and leaves nothing in flight', async () => {
    t.simulator.streamGapMs = 200;
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { model: OPENAI, messages: [{ role: 'user', content: 'hi' }], stream: true },
      { signal: controller.signal },
    );
    const during = await t.http().get('/metrics').expect(200);
    expect(
      metricValue(during.text, /llm_in_flight\{provider="openai",model="gpt-4o-mini"\} (\d+)/),
    ).toBe(1);
    for await (const chunk of stream) {
      void chunk;
      controller.abort();
      break;
    }
    let metrics = '';
    for (let tries = 0; tries < 50; tries += 1) {
      metrics = (await t.http().get('/metrics')).text;
      if (metrics.includes('outcome="client_aborted"')) break;
      await new Promise((done) => setTimeout(done, 50));
    }
    expect(
      metricValue(
        metrics,
        /llm_attempts_total\{provider="openai",model="gpt-4o-mini",outcome="client_aborted"\} (\d+)/,
      ),
    ).toBe(1);
    expect(metrics).not.toMatch(
      /llm_attempts_total\{provider="openai",model="gpt-4o-mini",outcome="success"\}/,
    );
    expect(
      metricValue(metrics, /llm_in_flight\{provider="openai",model="gpt-4o-mini"\} (\d+)/),
    ).toBe(0);
  });

  it('the database is a health gauge, and the route gauges name the primary by position', async () => {
    const metrics = (await t.http().get('/metrics').expect(200)).text;
    expect(metricValue(metrics, /service_dependency_up\{dependency="database"\} (\d+)/)).toBe(1);
    expect(metrics).toMatch(
      /llm_sticky_route\{provider="gemini",model="gemini-3-flash-preview",position="0"\} 1/,
    );
    expect(metrics).toMatch(
      /llm_route_state\{provider="gemini",model="gemini-3-flash-preview",position="0",state="closed"\} 1/,
    );
  });
});
