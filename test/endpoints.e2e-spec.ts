import { appSimulator } from '../src/simulated-providers';
import { ProviderSimulator } from '../src/simulator/provider-simulator';
import { eventually } from './support/service-process';
import {
  ANTHROPIC,
  OPENAI,
  openAiClientFor,
  route,
  startTestApp,
  TestApp,
  uniqueProfile,
} from './support/test-app';

const AZURE = 'azure:gpt-4o-mini';
const LOCAL = 'local:meta-llama/Llama-3.3-70B';
const AZURE_KEY = 'fake-azure-endpoint-key-1234567890';

type Health = {
  sticky: { provider: string; model: string };
  routes: Array<{ provider: string; model: string; state: string }>;
  keys: Record<string, Array<{ name: string; state: string }>>;
};

describe('Named OpenAI-compatible endpoints: a chain openai → azure → anthropic, and a local server with less', () => {
  let simulator: ProviderSimulator;
  let t: TestApp;
  let client: Awaited<ReturnType<typeof openAiClientFor>>;

  beforeAll(async () => {
    simulator = appSimulator();
    await simulator.start();
    t = await startTestApp(
      {
        LLM_ENDPOINTS: `azure:${simulator.endpointUrl('azure')},local:${simulator.endpointUrl('local')}`,
        AZURE_API_KEYS: `east:${AZURE_KEY}`,
        LOCAL_API_KEY: 'none',
        // A vLLM without guided decoding and without tool parsing: JSON mode only.
        LOCAL_CAPABILITIES: 'json_object',
        LLM_PROVIDER: 'openai',
        LLM_MODEL: 'gpt-4o-mini',
        LLM_FALLBACKS: `${AZURE},${ANTHROPIC}`,
        LLM_ALLOWED_ROUTES: 'local:*',
        LLM_HEALTHCHECK_INTERVAL_MS: '300',
        LLM_HEALTHCHECK_SUCCESSES: '2',
      },
      simulator,
    );
    client = await openAiClientFor(t);
  });
  afterAll(async () => {
    await t.close();
    await simulator.stop();
  });
  beforeEach(() => simulator.reset());

  const health = async () => (await t.http().get('/health/llm').expect(200)).body as Health;

  it('an outage of openai is served by the azure endpoint (same model, its own key), and traffic moves back once openai recovers', async () => {
    simulator.always(OPENAI, 'overloaded');
    const first = await t.http().post('/profiles').send(uniqueProfile()).expect(201);
    expect(first.body.llm.attempts.map(route)).toEqual([OPENAI, AZURE]);
    expect(first.body.llm).toMatchObject({ provider: 'azure', model: 'gpt-4o-mini' });
    // Sticky on the endpoint: the next request goes there first.
    const second = await t.http().post('/profiles').send(uniqueProfile()).expect(201);
    expect(second.body.llm.attempts.map(route)).toEqual([AZURE]);
    expect(simulator.attemptsFor(AZURE).every((attempt) => attempt.apiKey === AZURE_KEY)).toBe(
      true,
    );
    expect(simulator.attemptsFor(ANTHROPIC)).toEqual([]);

    simulator.always(OPENAI, 'ok');
    await eventually(
      'traffic back on openai',
      async () => (await health()).sticky.provider === 'openai',
      20_000,
    );
    const after = await t.http().post('/profiles').send(uniqueProfile()).expect(201);
    expect(after.body.llm.attempts.map(route)).toEqual([OPENAI]);
    // The endpoint is listed like a vendor's route, its key by name only.
    const body = await health();
    expect(body.routes.map((r) => `${r.provider}:${r.model}`)).toEqual([OPENAI, AZURE, ANTHROPIC]);
    expect(body.keys.azure).toEqual([expect.objectContaining({ name: 'east', state: 'ready' })]);
    expect(JSON.stringify(body)).not.toContain(AZURE_KEY.slice(0, 12));
  });

  it('the official openai client names the endpoint as azure/model or azure:model; a bare name two routes serve is a 400 listing them', async () => {
    for (const model of ['azure/gpt-4o-mini', 'azure:gpt-4o-mini']) {
      const answer = await client.chat.completions.create({
        model,
        messages: [{ role: 'user', content: 'Hi' }],
      });
      expect(answer.model).toBe(AZURE);
      expect(answer.choices[0].message.content).toContain('azure/gpt-4o-mini');
    }
    const ambiguous = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] })
      .catch((error: unknown) => error as { status: number; message: string });
    expect(ambiguous).toMatchObject({ status: 400 });
    expect((ambiguous as { message: string }).message).toContain(`${OPENAI}, ${AZURE}`);
    // A model name with a slash of its own, on an allowed endpoint.
    const local = await client.chat.completions.create({
      model: LOCAL,
      messages: [{ role: 'user', content: 'Hi' }],
    });
    expect(local.model).toBe(LOCAL);
  });

  it('an endpoint declared without JSON Schema output gets JSON mode and the schema as an instruction; one without tools is never sent tools', async () => {
    // What the local server lacks, it refuses with a 400 (as vLLM without guided decoding would).
    simulator.endpointLacks('local', 'json_schema', 'tools');
    const schema = {
      type: 'object',
      properties: { city: { type: 'string' }, population: { type: 'integer' } },
      required: ['city', 'population'],
      additionalProperties: false,
    };
    const structured = await client.chat.completions.create({
      model: LOCAL,
      messages: [{ role: 'user', content: 'The largest city?' }],
      response_format: { type: 'json_schema', json_schema: { name: 'city', schema, strict: true } },
    });
    expect(structured.model).toBe(LOCAL);
    const value = JSON.parse(structured.choices[0].message.content ?? '') as Record<string, unknown>;
    expect(Object.keys(value).sort()).toEqual(['city', 'population']);
    expect(simulator.attemptsFor(LOCAL).map((attempt) => attempt.status)).toEqual([200]);

    const withTools = await client.chat.completions.create({
      model: LOCAL,
      fallbacks: [OPENAI],
      messages: [{ role: 'user', content: 'Weather in Oslo?' }],
      tools: [
        {
          type: 'function',
          function: {
            name: 'weather',
            parameters: { type: 'object', properties: { city: { type: 'string' } } },
          },
        },
      ],
    } as Parameters<typeof client.chat.completions.create>[0] & { fallbacks: string[] });
    expect((withTools as { model: string }).model).toBe(OPENAI);
    // No request with tools reached the endpoint that declared none.
    expect(simulator.attemptsFor(LOCAL)).toHaveLength(1);
  });
});
