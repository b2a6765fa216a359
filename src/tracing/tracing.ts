/**
 * OpenTelemetry tracing: off unless configured. The gateway uses a tracer from its own provider (never the
 * global one), so two gateways in one process each export to their own place. An injected provider (tests use
 * an InMemorySpanExporter) wins over config. Span attributes carry ids, steps and codes, never secret material.
 */
import { SpanStatusCode, context, trace, type Attributes, type Tracer, type TracerProvider } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
// A fixed-version dependency of sdk-trace-base, which is ours: it is always installed with it.
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, BasicTracerProvider, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace-base';
import { GatewayError } from '../errors.ts';
import { AsyncContextManager } from './async_context.ts';

export interface TracingConfig {
  otlp_endpoint?: string | undefined;
  service_name: string;
  sample_ratio: number;
}

export interface Tracing {
  tracer: Tracer;
  /** False for the no-op tracer: callers may skip span bookkeeping entirely. */
  enabled: boolean;
  /** Exports pending spans and stops the exporter (only for a provider built here). */
  shutdown(): Promise<void>;
}

const NOOP: Tracing = { tracer: trace.getTracer('crefgate'), enabled: false, shutdown: async () => undefined };

/** False for the no-op tracer of a gateway without tracing: callers may skip span bookkeeping entirely. */
export function isTracing(tracer: Tracer | undefined): tracer is Tracer {
  return tracer !== undefined && tracer !== NOOP.tracer;
}

let contextInstalled = false;

/** Parent/child links across `await` need a context manager; installing one is harmless when one exists. */
function ensureContextManager(): void {
  if (contextInstalled) return;
  contextInstalled = true;
  context.setGlobalContextManager(new AsyncContextManager().enable());
}

/** Builds the gateway's tracer: from `provider` if given, else from config, else a no-op one. */
export function createTracing(config: TracingConfig | undefined, provider?: TracerProvider): Tracing {
  if (provider !== undefined) {
    ensureContextManager();
    return { tracer: provider.getTracer('crefgate'), enabled: true, shutdown: async () => undefined };
  }
  if (config?.otlp_endpoint === undefined) return NOOP;
  ensureContextManager();
  const own = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': config.service_name }),
    sampler: new TraceIdRatioBasedSampler(config.sample_ratio),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: config.otlp_endpoint }))],
  });
  return { tracer: own.getTracer('crefgate'), enabled: true, shutdown: () => own.shutdown() };
}

/** Runs `fn` inside an active span; a thrown GatewayError marks the span with its code and step. */
export async function inSpan<T>(tracer: Tracer | undefined, name: string, attributes: Attributes, fn: () => T | Promise<T>): Promise<T> {
  if (tracer === undefined) return await fn();
  return await tracer.startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof GatewayError) span.setAttributes({ 'crefgate.code': err.code, 'crefgate.step': err.step ?? '' });
      // The error's name only: messages may quote backend text, which stays out of telemetry like out of responses.
      span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.name : 'error' });
      throw err;
    } finally {
      span.end();
    }
  });
}
