import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { Router } from '@koa/router';
import { openapiText } from '../../src/cli/docs_commands.ts';
import { configurationReference } from '../../src/config/reference.ts';
import { envelopeSchema } from '../../src/envelope/schema.ts';
import type { KoaState } from '../../src/http/context.ts';
import { currentOpenapi } from '../../src/openapi/route.ts';
import { errorResponseSchema, leaseInfoSchema, resolveResponseSchema } from '../../src/openapi/responses.ts';
import { certificateRoutes } from '../../src/bootstrap/certificate_route.ts';
import { joinTokenRoutes } from '../../src/bootstrap/join_token_route.ts';
import { mainListenerRoutes } from '../../src/compose/main_routes.ts';
import type { GatewayServices } from '../../src/services.ts';
import { startGateway } from '../helpers/gateway.ts';

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/** `METHOD /path/{param}` for every route the gateway's router serves (as the Koa builder registers them). */
function routerRoutes(): string[] {
  const router = new Router<KoaState>();
  const services = { audit: {} } as unknown as GatewayServices; // handlers are only registered, never run
  mainListenerRoutes(router, services);
  // Registered when the bootstrap listener is configured: the join-token route here, the certificate route there.
  joinTokenRoutes(router, services, 600);
  certificateRoutes(router, services, {} as never);
  return router.stack.flatMap((layer) =>
    layer.methods.filter((m) => METHODS.includes(m.toLowerCase())).map((m) => `${m} ${String(layer.path).replace(/:([A-Za-z_]+)/g, '{$1}').replace(/\{\*([A-Za-z_]+)\}/g, '{$1}')}`),
  );
}

function documentRoutes(doc: Record<string, unknown>): string[] {
  const paths = doc.paths as Record<string, Record<string, unknown>>;
  return Object.entries(paths).flatMap(([p, ops]) => Object.keys(ops).filter((m) => METHODS.includes(m)).map((m) => `${m.toUpperCase()} ${p}`));
}

/** Every `$ref` in `node`, with where it was found. */
function refs(node: unknown, at = '#'): Array<{ ref: string; at: string }> {
  if (Array.isArray(node)) return node.flatMap((n, i) => refs(n, `${at}/${i}`));
  if (typeof node !== 'object' || node === null) return [];
  return Object.entries(node).flatMap(([k, v]) => (k === '$ref' && typeof v === 'string' ? [{ ref: v, at }] : refs(v, `${at}/${k}`)));
}

function resolvePointer(doc: unknown, ref: string): unknown {
  assert.ok(ref.startsWith('#/'), `only local refs: ${ref}`);
  return ref.slice(2).split('/').reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
}

describe('docs: OpenAPI and configuration reference', () => {
  const doc = currentOpenapi();

  it('is an OpenAPI 3.1.0 document whose every $ref resolves and every operation answers something', () => {
    assert.equal(doc.openapi, '3.1.0');
    assert.equal(typeof (doc.info as { title?: unknown }).title, 'string');
    const found = refs(doc);
    assert.ok(found.length > 20);
    for (const { ref, at } of found) assert.ok(resolvePointer(doc, ref) !== undefined, `${ref} (at ${at}) does not resolve`);
    for (const [p, ops] of Object.entries(doc.paths as Record<string, Record<string, { responses?: object; operationId?: string }>>)) {
      assert.ok(p.startsWith('/'), p);
      // Path items may also carry `servers` or `parameters`; only the HTTP methods are operations.
      for (const [method, op] of Object.entries(ops)) {
        if (METHODS.includes(method)) assert.ok(op.responses !== undefined && Object.keys(op.responses).length > 0 && op.operationId !== undefined, `${method} ${p}`);
      }
    }
    const ids = documentRoutes(doc).length;
    const unique = new Set(Object.values(doc.paths as Record<string, Record<string, { operationId: string }>>).flatMap((ops) => Object.entries(ops).filter(([m]) => METHODS.includes(m)).map(([, o]) => o.operationId)));
    assert.equal(unique.size, ids, 'operationIds are unique');
  });

  it('describes exactly the routes of the router', () => {
    assert.deepEqual(documentRoutes(doc).sort(), routerRoutes().sort());
  });

  it('describes request bodies with the schemas that validate them', () => {
    const schemas = (doc.components as { schemas: Record<string, { properties?: Record<string, unknown> }> }).schemas;
    assert.deepEqual(Object.keys(schemas.Envelope!.properties!).sort(), Object.keys(envelopeSchema.shape).sort());
    const resolve = (doc.paths as Record<string, Record<string, { requestBody: { content: Record<string, { schema: { $ref: string } }> } }>>)['/v1/resolve']!.post!;
    assert.equal(resolve.requestBody.content['application/json']!.schema.$ref, '#/components/schemas/Envelope');
  });

  it('matches what the gateway really answers', async () => {
    const gw = await startGateway();
    try {
      const envelope = await gw.client('coordinator').issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs: { db: 'cref://tenant_abc/db' }, ttl: 3600 });
      envelopeSchema.parse(envelope);
      const result = resolveResponseSchema.parse(await gw.client('executor').resolve(envelope));
      leaseInfoSchema.parse(await gw.client('executor').renewLease(result.secrets.db!.lease_id, 60));
      const res = await fetch(`http://127.0.0.1:${gw.gateway.ops.address()!.port}/v1/openapi.json`);
      assert.deepEqual(await res.json(), JSON.parse(JSON.stringify(doc)));
      await gw.client('executor').resolve(envelope).catch((err: { code: string; requestId: string }) => {
        errorResponseSchema.parse({ error: { code: err.code, message: 'x', request_id: err.requestId } });
      });
    } finally {
      await gw.close();
    }
  });

  it('keeps docs/openapi.json current (npm run docs:openapi)', async () => {
    assert.equal(await readFile(new URL('../../docs/openapi.json', import.meta.url), 'utf8'), openapiText(), 'run npm run docs:openapi');
  });

  it('keeps docs/configuration.md current (npm run docs:config)', async () => {
    assert.equal(await readFile(new URL('../../docs/configuration.md', import.meta.url), 'utf8'), configurationReference(), 'run npm run docs:config');
  });
});
