import { startTestApp, TestApp, uniqueProfile } from './support/test-app';

interface Probe {
  name: string;
  method: 'get' | 'post';
  path: string;
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
}

const PROFILE_ID = '1b4e28ba-2fa1-4d2e-8c3b-6f2d1e7a9c10';
const huge = 'x'.repeat(2_000_000);
const chat = (overrides: Record<string, unknown>) => ({
  model: 'default',
  messages: [{ role: 'user', content: 'hi' }],
  ...overrides,
});

const probes: Probe[] = [
  // Malformed JSON and wrong content types
  ...['/profiles', '/lessons', '/v1/chat/completions'].flatMap((path): Probe[] => [
    {
      name: `${path}: malformed JSON`,
      method: 'post',
      path,
      raw: '{"a": ',
      headers: { 'content-type': 'application/json' },
    },
    {
      name: `${path}: JSON null`,
      method: 'post',
      path,
      raw: 'null',
      headers: { 'content-type': 'application/json' },
    },
    {
      name: `${path}: a JSON string`,
      method: 'post',
      path,
      raw: '"hello"',
      headers: { 'content-type': 'application/json' },
    },
    {
      name: `${path}: text/plain`,
      method: 'post',
      path,
      raw: 'profession=Nurse',
      headers: { 'content-type': 'text/plain' },
    },
    {
      name: `${path}: UTF-16 charset`,
      method: 'post',
      path,
      raw: '{}',
      headers: { 'content-type': 'application/json; charset=utf-16' },
    },
    { name: `${path}: a 2 MB body`, method: 'post', path, body: { profession: huge } },
    {
      name: `${path}: empty body`,
      method: 'post',
      path,
      raw: '',
      headers: { 'content-type': 'application/json' },
    },
  ]),
  // Wrong types, huge strings, unknown fields
  {
    name: 'profiles: numbers for strings',
    method: 'post',
    path: '/profiles',
    body: { profession: 1, industry: 2, experienceLevel: 3 },
  },
  {
    name: 'profiles: nested object',
    method: 'post',
    path: '/profiles',
    body: { ...uniqueProfile(), profession: { $ne: '' } },
  },
  {
    name: 'profiles: 10 kB string',
    method: 'post',
    path: '/profiles',
    body: { ...uniqueProfile(), industry: 'y'.repeat(10_000) },
  },
  {
    name: 'profiles: prototype pollution',
    method: 'post',
    path: '/profiles',
    raw: '{"__proto__": {"admin": true}, "profession": "a", "industry": "b", "experienceLevel": "Guru"}',
    headers: { 'content-type': 'application/json' },
  },
  {
    name: 'lessons: array as difficulty',
    method: 'post',
    path: '/lessons',
    body: {
      courseId: 'llm-foundations',
      lessonId: 'l01-what-llms-are',
      difficulty: [3],
      profileId: PROFILE_ID,
    },
  },
  {
    name: 'lessons: huge id',
    method: 'post',
    path: '/lessons',
    body: {
      courseId: 'c'.repeat(5000),
      lessonId: 'l01-what-llms-are',
      difficulty: 3,
      profileId: PROFILE_ID,
    },
  },
  {
    name: 'lessons: unknown field',
    method: 'post',
    path: '/lessons',
    body: {
      courseId: 'llm-foundations',
      lessonId: 'l01-what-llms-are',
      difficulty: 3,
      profileId: PROFILE_ID,
      sudo: true,
    },
  },
  {
    name: 'chat: messages not an array',
    method: 'post',
    path: '/v1/chat/completions',
    body: chat({ messages: 'hi' }),
  },
  {
    name: 'chat: empty messages',
    method: 'post',
    path: '/v1/chat/completions',
    body: chat({ messages: [] }),
  },
  {
    name: 'chat: content number',
    method: 'post',
    path: '/v1/chat/completions',
    body: chat({ messages: [{ role: 'user', content: 5 }] }),
  },
  {
    name: 'chat: huge model name',
    method: 'post',
    path: '/v1/chat/completions',
    body: chat({ model: `openai:${'m'.repeat(5000)}` }),
  },
  {
    name: 'chat: stream as string',
    method: 'post',
    path: '/v1/chat/completions',
    body: chat({ stream: 'yes' }),
  },
  {
    name: 'chat: json_schema without schema',
    method: 'post',
    path: '/v1/chat/completions',
    body: chat({ response_format: { type: 'json_schema' } }),
  },
  {
    name: 'chat: unknown field',
    method: 'post',
    path: '/v1/chat/completions',
    body: chat({ logit_bias: { 1: 2 } }),
  },
  // Invalid ids and path traversal
  { name: 'profile id not a uuid', method: 'get', path: '/profiles/123' },
  { name: 'profile id traversal', method: 'get', path: '/profiles/..%2F..%2Fetc%2Fpasswd' },
  { name: 'lesson id SQL', method: 'get', path: "/lessons/1'%20OR%20'1'='1" },
  { name: 'course traversal', method: 'get', path: '/courses/..%2F..%2Fpackage.json' },
  { name: 'course dot-dot', method: 'get', path: '/courses/../../etc/passwd' },
  { name: 'course null byte', method: 'get', path: '/courses/llm-foundations%00.json' },
  { name: 'unknown route', method: 'get', path: '/admin' },
  {
    name: 'refresh not a boolean',
    method: 'post',
    path: '/profiles?refresh[]=true',
    body: uniqueProfile(),
  },
  // Header oddities
  {
    name: 'garbage request id',
    method: 'get',
    path: '/profiles/abc',
    headers: { 'x-request-id': '../../<script>' },
  },
  {
    name: 'malformed authorization',
    method: 'get',
    path: '/profiles/abc',
    headers: { authorization: 'Basic Zm9vOmJhcg==' },
  },
  {
    name: 'huge accept header',
    method: 'post',
    path: '/profiles',
    body: { profession: 7 },
    headers: { accept: 'a'.repeat(8000) },
  },
];

describe('Bad input: clear 4xx, no provider call, no 5xx', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it.each(probes.map((probe) => [probe.name, probe] as const))('%s', async (_name, probe) => {
    let call = probe.method === 'get' ? t.http().get(probe.path) : t.http().post(probe.path);
    for (const [name, value] of Object.entries(probe.headers ?? {})) call = call.set(name, value);
    const response = await (probe.raw !== undefined
      ? call.send(probe.raw)
      : probe.body !== undefined
        ? call.send(probe.body as object)
        : call);

    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    const message = JSON.stringify(response.body.message ?? response.body.error?.message ?? '');
    expect(message.length).toBeGreaterThan(4);
    expect(message).not.toMatch(/at .*\.ts:\d+|node_modules|stack/i);
    expect(t.simulator.attempts).toHaveLength(0);
  });

  it('the service is healthy afterwards and still serves', async () => {
    await t.http().get('/health/live').expect(200);
    await t.http().get('/health/ready').expect(200);
    await t.http().post('/profiles').send(uniqueProfile()).expect(201);
  });
});
