import { startTracedApp, TracedApp } from './support/otlp-receiver';
import { uniqueProfile } from './support/test-app';

describe('OpenTelemetry traces over OTLP/HTTP http/protobuf (the default protocol)', () => {
  let traced: TracedApp;
  beforeAll(async () => {
    traced = await startTracedApp('http/protobuf');
  });
  afterAll(() => traced.close());

  it('exports protobuf to /v1/traces with the request and attempt spans', async () => {
    const { t, tracing, receiver } = traced;
    await t.http().post('/profiles').send(uniqueProfile()).expect(201);
    await tracing.flush();
    const exports = receiver.exports.filter((entry) => entry.path === '/v1/traces');
    expect(exports.length).toBeGreaterThan(0);
    expect(exports.every((entry) => entry.contentType === 'application/x-protobuf')).toBe(true);
    // Protobuf keeps strings as UTF-8: the span names and GenAI attribute keys are in the bytes.
    const bytes = Buffer.concat(exports.map((entry) => entry.body)).toString('latin1');
    for (const expected of [
      'POST /profiles',
      'chat gemini-3-flash-preview',
      'gen_ai.request.model',
      'llm-test',
    ])
      expect(bytes).toContain(expected);
  });
});
