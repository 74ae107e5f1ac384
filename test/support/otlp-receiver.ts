import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { TracingConfig } from '../../src/config/observability.config';
import { startTracing, Tracing } from '../../src/observability/tracing';
import { startTestApp, TestApp } from './test-app';

/** One OTLP/HTTP export as the receiver got it. */
export interface OtlpExport {
  path: string;
  contentType: string;
  body: Buffer;
}

/** A small in-process OTLP/HTTP collector: it accepts trace exports and keeps them for the test to read. */
export class OtlpReceiver {
  readonly exports: OtlpExport[] = [];
  private server: Server | undefined;

  async start(): Promise<string> {
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        this.exports.push({
          path: request.url ?? '',
          contentType: String(request.headers['content-type'] ?? ''),
          body: Buffer.concat(chunks),
        });
        const json = String(request.headers['content-type']).includes('json');
        response.writeHead(200, {
          'content-type': json ? 'application/json' : 'application/x-protobuf',
        });
        response.end(json ? '{}' : undefined);
      });
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    this.server = server;
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise((done) => this.server?.close(done));
  }
}

/** Spans of OTLP/JSON exports, with attributes as a plain object. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  status?: { code?: number; message?: string };
  attributes: Record<string, string | number | boolean>;
  events: Array<{ name: string; attributes: Record<string, string | number | boolean> }>;
}

type OtlpValue = {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
};
type OtlpAttribute = { key: string; value: OtlpValue };

const attributesOf = (list: OtlpAttribute[] = []) =>
  Object.fromEntries(
    list.map(({ key, value }) => [
      key,
      value.stringValue ??
        (value.intValue !== undefined
          ? Number(value.intValue)
          : (value.boolValue ?? value.doubleValue ?? '')),
    ]),
  );

export function jsonSpans(exports: OtlpExport[]): ReceivedSpan[] {
  return exports
    .filter((entry) => entry.contentType.includes('json'))
    .flatMap((entry) => {
      const body = JSON.parse(entry.body.toString('utf8')) as {
        resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<Record<string, unknown>> }> }>;
      };
      return body.resourceSpans.flatMap((resource) =>
        resource.scopeSpans.flatMap((scope) =>
          scope.spans.map((span) => ({
            ...(span as unknown as ReceivedSpan),
            attributes: attributesOf(span.attributes as OtlpAttribute[]),
            events: (
              (span.events as Array<{ name: string; attributes?: OtlpAttribute[] }>) ?? []
            ).map((event) => ({
              name: event.name,
              attributes: attributesOf(event.attributes),
            })),
          })),
        ),
      );
    });
}

/** A test app whose process exports its spans to an in-process receiver over `protocol` (one per spec file). */
export interface TracedApp {
  t: TestApp;
  tracing: Tracing;
  receiver: OtlpReceiver;
  close(): Promise<void>;
}

export async function startTracedApp(protocol: TracingConfig['protocol']): Promise<TracedApp> {
  const receiver = new OtlpReceiver();
  const endpoint = await receiver.start();
  const tracesUrl = `${endpoint}/v1/traces`;
  const tracing = (await startTracing({ tracesUrl, protocol, serviceName: 'llm-test' }))!;
  // The app is configured for the same endpoint, as main.ts configures both from one environment: the server span
  // middleware is applied only when tracing is on.
  const t = await startTestApp({
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: tracesUrl,
    OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
    OTEL_SERVICE_NAME: 'llm-test',
  });
  return {
    t,
    tracing,
    receiver,
    close: async () => {
      await t.close();
      await tracing.shutdown();
      await receiver.stop();
    },
  };
}
