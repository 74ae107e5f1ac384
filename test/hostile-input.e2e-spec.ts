import { connect, Socket } from 'node:net';
import { appSimulator } from '../src/simulated-providers';
import { ServiceProcess, startServiceProcess } from './support/service-process';

const KEY = 'hostile-test-key-QQQQ7777RRRR8888';

/** What the service answers, as a raw fetch with the key (or another key). */
async function post(
  service: ServiceProcess,
  path: string,
  body: unknown,
  headers: Record<string, string> = { 'x-api-key': KEY },
) {
  const response = await fetch(`${service.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, json, headers: response.headers };
}

const chat = (extra: object) => ({
  model: 'default',
  messages: [{ role: 'user', content: 'Give me data' }],
  ...extra,
});

const schemaFormat = (schema: object) => ({
  response_format: { type: 'json_schema', json_schema: { name: 'bomb', schema } },
});

/** A raw socket that sends `data`, then nothing; resolves when the server closes it. */
function stalledSocket(
  port: number,
  data: string,
): Promise<{ closedByServer: boolean; reply: string }> {
  return new Promise((resolve) => {
    let reply = '';
    const socket: Socket = connect(port, '127.0.0.1', () => socket.write(data));
    socket.on('data', (chunk) => (reply += chunk.toString()));
    socket.on('close', () => resolve({ closedByServer: true, reply }));
    socket.on('error', () => undefined);
  });
}

describe('Nothing a caller sends takes the service down (the default zero-key mode, a real process)', () => {
  let service: ServiceProcess;
  let port: number;

  beforeAll(async () => {
    service = await startServiceProcess({
      DATABASE_URL: 'pglite://memory',
      API_KEYS: KEY,
      HEADERS_TIMEOUT_MS: '1000',
      REQUEST_TIMEOUT_MS: '2000',
      AUTH_FAILURES_PER_MINUTE: '5',
    });
    port = Number(new URL(service.url).port);
  }, 90_000);
  afterAll(() => service.stop());

  afterEach(() => expect(service.alive()).toBe(true));

  it.each([
    [
      'an array of 10^10 items',
      schemaFormat({ type: 'object', properties: { a: { type: 'array', minItems: 1e10 } } }),
    ],
    [
      'an array of 10^8 items',
      schemaFormat({ type: 'object', properties: { a: { type: 'array', minItems: 1e8 } } }),
    ],
    [
      // Strict OpenAI and Gemini schemas drop string lengths; Claude's tool schema keeps them.
      'a string of 10^9 characters',
      {
        model: 'anthropic:claude-haiku-4-5-20251001',
        ...schemaFormat({ type: 'object', properties: { a: { type: 'string', minLength: 1e9 } } }),
      },
    ],
    [
      "a tool's parameters",
      {
        tools: [
          {
            type: 'function',
            function: {
              name: 'bomb',
              parameters: { type: 'object', properties: { a: { type: 'array', minItems: 1e10 } } },
            },
          },
        ],
        tool_choice: 'required',
      },
    ],
  ])(
    'a schema bomb (%s) is a 400 from every route, in OpenAI format, and the process keeps serving',
    async (_name, extra) => {
      const bomb = await post(service, '/v1/chat/completions', chat(extra));
      expect(bomb.status).toBe(400);
      expect(bomb.json.error.code).toBe('invalid_request');
      const fine = await post(service, '/v1/chat/completions', chat({}));
      expect(fine.status).toBe(200);
    },
  );

  it('the embedded simulator serves no control API unless SIMULATOR_CONTROL=true', async () => {
    const simulatorUrl = /embedded simulator at (http:\/\/127\.0\.0\.1:\d+)/.exec(
      service.output(),
    )?.[1];
    expect(simulatorUrl).toBeDefined();
    const script = await fetch(`${simulatorUrl}/__simulator/script`, {
      method: 'POST',
      body: JSON.stringify({ route: 'openai:gpt-4o-mini', always: 'overloaded' }),
    });
    expect(script.status).toBe(404);
    expect((await fetch(`${simulatorUrl}/__simulator/attempts`)).status).toBe(404);
  });

  it('one wide body (115,000 keys) is refused at once with a clear 4xx while liveness answers', async () => {
    const wide = JSON.stringify(
      chat({
        metadata: Object.fromEntries(
          Array.from({ length: 115_000 }, (_, i) => [i.toString(36), 1]),
        ),
      }),
    );
    expect(wide.length).toBeGreaterThan(900_000);
    const [gateway, profiles, live] = await Promise.all([
      post(service, '/v1/chat/completions', wide),
      post(service, '/profiles', wide),
      fetch(`${service.url}/health/live`),
    ]);
    expect(gateway.status).toBe(400);
    expect(gateway.json.error.message).toMatch(/more than 1000 keys/);
    // The profile endpoint takes a few KB: the declared length is refused before the body is read.
    expect(profiles.status).toBe(413);
    expect(live.status).toBe(200);
  });

  it('without a valid key a body is refused before it is read (401), and an address that keeps failing gets 429', async () => {
    const big = JSON.stringify({ profession: 'x'.repeat(10_000) });
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 7; attempt += 1)
      statuses.push(
        (await post(service, '/profiles', big, { 'x-api-key': 'not-the-key-000000000' })).status,
      );
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5)).toEqual([429, 429]);
    // The valid key from the same address still passes.
    const own = await post(service, '/profiles', {
      profession: 'Nurse',
      industry: 'Healthcare',
      experienceLevel: 'Beginner',
    });
    expect(own.status).toBe(201);
  });

  it('errors raised before routing carry the security headers and the request id', async () => {
    const broken = await post(service, '/v1/chat/completions', '{"model":');
    expect(broken.status).toBe(400);
    expect(broken.headers.get('x-request-id')).toMatch(/.+/);
    expect(broken.headers.get('x-content-type-options')).toBe('nosniff');
    expect(broken.json.error.message).toMatch(/not valid JSON/);
  });

  it('a client that sends half its headers, or half its body, is cut off by the server', async () => {
    const halfHeaders = await stalledSocket(port, 'POST /profiles HTTP/1.1\r\nHost: x\r\n');
    expect(halfHeaders.closedByServer).toBe(true);
    const halfBody = await stalledSocket(
      port,
      `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nx-api-key: ${KEY}\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"model":"`,
    );
    expect(halfBody.closedByServer).toBe(true);
    expect(halfBody.reply).toMatch(/^HTTP\/1\.1 408/);
    expect((await fetch(`${service.url}/health/live`)).status).toBe(200);
  });
});

describe('The provider simulator as a test double', () => {
  const simulator = appSimulator();
  beforeAll(() => simulator.start());
  afterAll(() => simulator.stop());

  it.each([
    ['not JSON', '{"route":'],
    ['no route', '{"always":"ok"}'],
    ['an unknown fault', '{"route":"openai:m","always":{"fault":"explode"}}'],
    ['a behaviours list that is not a list', '{"route":"openai:m","behaviours":{"status":1}}'],
    ['a huge delay', '{"route":"openai:m","always":{"fault":"slow","delayMs":1e12}}'],
  ])('a malformed script (%s) is a 400 and is never applied', async (_name, body) => {
    const answer = await fetch(`${simulator.url}/__simulator/script`, { method: 'POST', body });
    expect(answer.status).toBe(400);
    const ok = await fetch(`${simulator.baseUrls.openai}/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(ok.status).toBe(200);
  });

  it('the attempt log keeps lengths, not contents, and is bounded', async () => {
    simulator.reset();
    const result = 'r'.repeat(400_000);
    for (let call = 0; call < 3; call += 1)
      await fetch(`${simulator.baseUrls.openai}/chat/completions`, {
        method: 'POST',
        body: JSON.stringify({
          model: 'm',
          messages: [
            { role: 'user', content: 'hi' },
            {
              role: 'assistant',
              content: null,
              tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }],
            },
            { role: 'tool', tool_call_id: 'c', content: result },
          ],
        }),
      });
    expect(simulator.attempts.map((attempt) => attempt.toolResultLength)).toEqual([
      400_000, 400_000, 400_000,
    ]);
    expect(JSON.stringify(simulator.attempts).length).toBeLessThan(10_000);
    expect(simulator.countFor('openai:m')).toBe(3);
  });
});
