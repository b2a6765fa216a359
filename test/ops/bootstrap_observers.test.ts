/**
 * The bootstrap listener serves the same Koa pipeline as the mTLS listener (src/compose/koa_app.ts), so its
 * requests get the request log line, the per-route latency metric and a span, like any other request (issue 17
 * item 4: before, it rebuilt the pipeline by hand without the observers). Its own refusals are unchanged.
 */
import assert from 'node:assert/strict';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { CrefgateError } from '../../src/client/index.ts';
import { refused } from '../helpers/assertions.ts';
import { bootstrapCall, bootstrapListener } from '../helpers/bootstrap.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';
import { opsGet, sample } from './ops_helpers.ts';

describe('ops: the bootstrap listener is observed like the main one', () => {
  let gw: TestGateway;
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

  before(async () => {
    gw = await startGateway({
      gateway: { tracerProvider: provider },
      mutate(config) {
        config.bootstrap = bootstrapListener();
      },
    });
  });
  after(async () => {
    await gw.close();
    await provider.shutdown();
  });

  it('logs, counts and traces a bootstrap request, and refuses it as before', async () => {
    exporter.reset();
    const line = await refused(gw, bootstrapCall(gw, '/v1/resolve', '{}'), 'unauthenticated', 'tls');
    assert.match(line.reason!, /no bearer token on the bootstrap listener/);

    const logged = gw.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'request' && l.request_id === line.request_id);
    assert.equal(logged.length, 1, `request log lines for ${line.request_id}: ${logged.length}`);
    assert.equal(logged[0]!.route, '/v1/resolve');
    assert.equal(logged[0]!.status, 401);
    assert.equal(logged[0]!.code, 'unauthenticated');

    const metrics = (await opsGet(gw, '/metrics')).text;
    assert.equal(sample(metrics, 'crefgate_http_request_duration_seconds_count', { method: 'POST', route: '/v1/resolve', status: '401' }), 1);

    const span = exporter.getFinishedSpans().find((s) => s.name === 'POST /v1/resolve');
    assert.ok(span !== undefined, `spans: ${exporter.getFinishedSpans().map((s) => s.name).join(', ')}`);
    assert.equal(span.attributes['http.response.status_code'], 401);
  });

  it('still answers an unknown bootstrap route with its own not_found, logged once', async () => {
    const err = await bootstrapCall(gw, '/v1/jobs', '{}').then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof CrefgateError && err.code === 'not_found' && err.status === 404, String(err));
    const line = await gw.auditFor(err.requestId!);
    assert.match(line.reason!, /no such route on the bootstrap listener/);
    const logged = gw.logs.filter((l) => l.includes(`"request_id":"${line.request_id}"`) && l.includes('"msg":"request"'));
    assert.equal(logged.length, 1);
  });
});
