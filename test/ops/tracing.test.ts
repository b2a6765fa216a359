import assert from 'node:assert/strict';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { CrefgateError } from '../../src/client/index.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';

const CHAIN = ['tls', 'shape', 'executor', 'hmac', 'token', 'binding', 'scope', 'nonce'].map((s) => `chain.${s}`);

describe('ops: OpenTelemetry spans', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  let gw: TestGateway;

  before(async () => {
    gw = await startGateway({ gateway: { tracerProvider: provider } });
  });
  after(async () => {
    await gw.close();
    await provider.shutdown();
  });

  it('traces a resolve: the request, each chain step in order, and the adapter call, in one trace', async () => {
    const envelope = await gw.client('coordinator').issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs: { github: 'cref://tenant_abc/github_token' }, ttl: 600 });
    exporter.reset();
    await gw.client('executor').resolve(envelope);
    const spans = exporter.getFinishedSpans();
    const request = spans.find((s) => s.name === 'POST /v1/resolve');
    assert.ok(request !== undefined, `spans: ${spans.map((s) => s.name).join(', ')}`);
    const children = spans.filter((s) => s.spanContext().traceId === request.spanContext().traceId && s !== request);
    assert.deepEqual(children.filter((s) => s.name.startsWith('chain.')).map((s) => s.name), CHAIN);
    for (const child of children) assert.equal(child.parentSpanContext?.spanId, request.spanContext().spanId);
    const read = children.find((s) => s.name === 'adapter.read');
    assert.equal(read?.attributes['crefgate.mount'], 'local');
    assert.equal(request.attributes['http.response.status_code'], 200);

    // Nothing secret rides on a span.
    const text = JSON.stringify(spans.map((s) => ({ name: s.name, attributes: s.attributes, events: s.events })));
    assert.ok(!text.includes(envelope.payload.nonce) && !text.includes(envelope.token));
  });

  it('marks the step that refused a replay', async () => {
    const envelope = await gw.client('coordinator').issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs: { github: 'cref://tenant_abc/github_token' }, ttl: 600 });
    await gw.client('executor').resolve(envelope);
    exporter.reset();
    await assert.rejects(gw.client('executor').resolve(envelope), (err: unknown) => err instanceof CrefgateError && err.code === 'replayed');
    const spans = exporter.getFinishedSpans();
    const nonce = spans.find((s) => s.name === 'chain.nonce');
    assert.equal(nonce?.status.code, 2 /* ERROR */);
    assert.equal(nonce?.attributes['crefgate.code'], 'replayed');
    assert.equal(spans.find((s) => s.name === 'POST /v1/resolve')?.attributes['crefgate.step'], 'nonce');
    assert.equal(spans.filter((s) => s.name === 'adapter.read').length, 0, 'no backend call after a refusal');
  });
});
