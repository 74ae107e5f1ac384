import { SpanKind, trace } from '@opentelemetry/api';
import { withRequestId } from '../src/common/log-context';
import { ServiceLogger } from '../src/common/service-logger';
import { Tracing } from '../src/observability/tracing';
import { jsonSpans, OtlpReceiver, startTracedApp, TracedApp } from './support/otlp-receiver';
import { GEMINI_FALLBACK, PRIMARY, TestApp, uniqueProfile } from './support/test-app';

describe('OpenTelemetry traces (OTLP/HTTP, http/json) with GenAI attributes', () => {
  let traced: TracedApp;
  let t: TestApp;
  let tracing: Tracing;
  let receiver: OtlpReceiver;

  beforeAll(async () => {
    traced = await startTracedApp('http/json');
    ({ t, tracing, receiver } = traced);
  });
  afterAll(() => traced.close());

  it('one server span per request, one child span per attempt, fallback and sticky switch as events', async () => {
    t.simulator.script(PRIMARY, 'overloaded');
    await t.http().post('/profiles').send(uniqueProfile()).expect(201);
    await tracing.flush();

    const spans = jsonSpans(receiver.exports);
    const server = spans.find((span) => span.name === 'POST /profiles')!;
    expect(server).toBeDefined();
    expect(server.kind).toBe(SpanKind.SERVER + 1); // OTLP numbers kinds from 1 (SPAN_KIND_SERVER = 2)
    expect(server.attributes).toMatchObject({
      'http.route': '/profiles',
      'http.response.status_code': 201,
    });

    const attempts = spans.filter(
      (span) => span.parentSpanId === server.spanId && span.name.startsWith('chat '),
    );
    expect(attempts.map((span) => span.attributes['gen_ai.request.model'])).toEqual([
      'gemini-3-flash-preview',
      'gemini-2.5-flash',
    ]);
    const [failed, served] = attempts;
    expect(failed.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'gcp.gemini',
      'gen_ai.system': 'gemini',
      'error.type': 'overloaded',
      'http.response.status_code': 503,
    });
    expect(failed.status?.code).toBe(2); // ERROR
    // The key that answered, by name (GEMINI_API_KEY is the key named `default`), never by value.
    expect(served.attributes).toMatchObject({
      'gen_ai.response.model': 'gemini-2.5-flash',
      'llm.provider.key': 'default',
    });
    expect(served.attributes['gen_ai.usage.input_tokens']).toBeGreaterThan(0);
    expect(served.attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0);
    expect(served.status?.code ?? 0).not.toBe(2);

    const events = server.events.map((event) => event.name);
    expect(events).toEqual(expect.arrayContaining(['llm.fallback', 'llm.switched']));
    expect(server.events.find((event) => event.name === 'llm.switched')?.attributes).toMatchObject({
      'llm.from': PRIMARY,
      'llm.route': GEMINI_FALLBACK,
      'llm.reason': 'overloaded',
    });
  });

  it('a recovery is an event on the probe round’s span', async () => {
    const { RouteHealthChecker } = await import('../src/llm/probes/route-health-checker.service');
    const checker = t.app.get(RouteHealthChecker);
    await checker.runProbes();
    await checker.runProbes();
    await tracing.flush();
    const rounds = jsonSpans(receiver.exports).filter((span) => span.name === 'llm.probe_round');
    expect(rounds.flatMap((span) => span.events.map((event) => event.name))).toContain(
      'llm.recovered',
    );
  });

  it('log lines carry the trace id and the request id', async () => {
    const written: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = (chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    };
    let traceId = '';
    try {
      const logger = new ServiceLogger({ json: true });
      trace.getTracer('test').startActiveSpan('work', (span) => {
        traceId = span.spanContext().traceId;
        withRequestId('req-42', () => logger.log('inside a request', 'Test'));
        span.end();
      });
    } finally {
      process.stdout.write = write;
    }
    const line = JSON.parse(written.find((chunk) => chunk.includes('inside a request'))!) as Record<
      string,
      unknown
    >;
    expect(line).toMatchObject({ message: 'inside a request', requestId: 'req-42', traceId });
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('text log lines carry no ANSI colour codes when stdout is not a terminal', () => {
    const written: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = (chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    };
    try {
      expect(process.stdout.isTTY).toBeFalsy(); // Jest's stdout is a pipe, as a log collector's is
      new ServiceLogger({}).log('plain text please', 'Test');
    } finally {
      process.stdout.write = write;
    }
    const line = written.find((chunk) => chunk.includes('plain text please'))!;
    expect(line.includes('\u001b[')).toBe(false); // no ANSI escape sequence
  });
});
