import { startTracing, Tracing } from '../src/observability/tracing';
import { OtlpReceiver } from './support/otlp-receiver';
import { startTestApp, TestApp, uniqueProfile } from './support/test-app';

describe('OpenTelemetry traces over OTLP/HTTP http/protobuf (the default protocol)', () => {
  const receiver = new OtlpReceiver();
  let tracing: Tracing;
  let t: TestApp;

  beforeAll(async () => {
    const endpoint = await receiver.start();
    tracing = startTracing({
      tracesUrl: `${endpoint}/v1/traces`,
      protocol: 'http/protobuf',
      serviceName: 'llm-test',
    })!;
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
    await tracing.shutdown();
    await receiver.stop();
  });

  it('exports protobuf to /v1/traces with the request and attempt spans', async () => {
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
