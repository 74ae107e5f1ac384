import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace';
import { TracingConfig } from '../config/app.config';

export interface Tracing {
  /** Sends the spans still buffered. */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * Starts OpenTelemetry tracing when OTEL_EXPORTER_OTLP_ENDPOINT (or …_TRACES_ENDPOINT) is set: OTLP over HTTP, as
 * `http/protobuf` (the default) or `http/json` (OTEL_EXPORTER_OTLP_PROTOCOL). Off otherwise, and then every span in
 * the code is a no-op. Call it before the app is built, so the context manager is in place for every request.
 */
export function startTracing(config: TracingConfig): Tracing | undefined {
  if (!config.tracesUrl) return undefined;
  const exporter =
    config.protocol === 'http/json'
      ? new OtlpJsonExporter({ url: config.tracesUrl })
      : new OtlpProtobufExporter({ url: config.tracesUrl });
  const processor = new BatchSpanProcessor({ exporter, scheduledDelayMillis: 1_000 });
  const sdk = new NodeSDK({
    serviceName: config.serviceName,
    spanProcessors: [processor],
    instrumentations: [],
    resourceDetectors: [],
  });
  sdk.start();
  return {
    flush: () => processor.forceFlush(),
    shutdown: () => sdk.shutdown(),
  };
}
