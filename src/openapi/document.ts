/**
 * The OpenAPI 3.1 description of the gateway's HTTP API, generated from the same zod schemas that validate
 * requests (OpenAPI 3.1 schemas are JSON Schema 2020-12, which is what `z.toJSONSchema` emits). Served at
 * /v1/openapi.json and committed as docs/openapi.json; a test keeps the two equal and matches the router.
 */
import { z } from 'zod';
import { envelopeSchema, executorIdSchema, jobIdSchema, tenantIdSchema } from '../envelope/schema.ts';
import { certificateRequestSchema } from '../bootstrap/certificate_route.ts';
import { issueJobSchema } from '../jobs/issue_job.ts';
import { renewLeaseSchema } from '../leases/renew_lease.ts';
import { revokeLeaseSchema } from '../leases/revoke_lease.ts';
import { registerSchema } from '../routes/executors.ts';
import * as r from './responses.ts';

/** Component schemas by name; operations refer to them with $ref. */
const components = {
  IssueJobRequest: [issueJobSchema, 'input'],
  Envelope: [envelopeSchema, 'input'],
  RenewLeaseRequest: [renewLeaseSchema, 'input'],
  RevokeLeaseRequest: [revokeLeaseSchema, 'input'],
  RegisterExecutorRequest: [registerSchema, 'input'],
  CertificateRequest: [certificateRequestSchema, 'input'],
  JoinToken: [r.joinTokenSchema, 'output'],
  ExecutorCertificate: [r.executorCertificateSchema, 'output'],
  Error: [r.errorResponseSchema, 'output'],
  ResolveResponse: [r.resolveResponseSchema, 'output'],
  LeaseInfo: [r.leaseInfoSchema, 'output'],
  LeaseRevoked: [r.leaseRevokedSchema, 'output'],
  JobCompleted: [r.jobCompletedSchema, 'output'],
  ExecutorSecret: [r.executorSecretSchema, 'output'],
  Executor: [r.executorSchema, 'output'],
  ExecutorList: [r.executorListSchema, 'output'],
  ExecutorEnabled: [r.executorEnabledSchema, 'output'],
  Jwks: [r.jwksSchema, 'output'],
  Health: [r.healthSchema, 'output'],
  Readiness: [r.readinessSchema, 'output'],
} as const satisfies Record<string, readonly [z.ZodType, 'input' | 'output']>;

type ComponentName = keyof typeof components;

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

const ref = (name: ComponentName) => ({ $ref: `#/components/schemas/${name}` });
const content = (name: ComponentName) => ({ 'application/json': { schema: ref(name) } });
const pathParam = (name: string, schema: z.ZodType, description: string) => ({ name, in: 'path', required: true, description, schema: jsonSchema(schema, 'input') });

interface Operation {
  summary: string;
  roles: string[];
  body?: ComponentName;
  ok: [number, ComponentName];
  params?: unknown[];
  /** Codes this operation may answer besides the common ones. */
  errors?: number[];
  public?: boolean;
}

const idParam = pathParam('id', executorIdSchema, 'executor id');
const proxyParams = [
  pathParam('lease_id', z.string().regex(/^lease_[A-Za-z0-9_-]{16,64}$/), 'a lease delivered through the proxy'),
  pathParam('path', z.string(), "the upstream path (raw; checked against the route's allow-list)"),
];
const proxied = (summary: string): Operation => ({ summary, roles: ['executor'], ok: [200, 'Health'], params: proxyParams, errors: [404, 409] });

/** Every route of the gateway's router: method, path (OpenAPI template) and what it takes and answers. */
const operations: Record<string, Record<string, Operation>> = {
  '/v1/jobs': { post: { summary: 'Issue a job envelope', roles: ['coordinator'], body: 'IssueJobRequest', ok: [201, 'Envelope'] } },
  '/v1/jobs/{id}/complete': {
    post: { summary: "Complete a job: revoke all its leases", roles: ['executor', 'coordinator'], ok: [200, 'JobCompleted'], params: [pathParam('id', jobIdSchema, 'job id')], errors: [404] },
  },
  '/v1/resolve': {
    post: { summary: 'Present an envelope exactly as issued; every cref or none', roles: ['executor'], body: 'Envelope', ok: [200, 'ResolveResponse'], errors: [409] },
  },
  '/v1/leases/renew': { post: { summary: 'Renew a lease (never past the job end)', roles: ['executor', 'coordinator'], body: 'RenewLeaseRequest', ok: [200, 'LeaseInfo'], errors: [404] } },
  '/v1/leases/revoke': { post: { summary: 'Revoke a lease', roles: ['executor', 'coordinator'], body: 'RevokeLeaseRequest', ok: [200, 'LeaseRevoked'], errors: [404] } },
  '/v1/executors': {
    post: { summary: 'Register an executor (its HMAC secret is shown once)', roles: ['admin'], body: 'RegisterExecutorRequest', ok: [201, 'ExecutorSecret'], errors: [409] },
    get: {
      summary: 'List executors',
      roles: ['admin', 'auditor'],
      ok: [200, 'ExecutorList'],
      params: [{ name: 'tenant', in: 'query', required: false, schema: jsonSchema(tenantIdSchema, 'input') }],
    },
  },
  '/v1/executors/{id}': { get: { summary: 'Describe an executor', roles: ['admin', 'auditor'], ok: [200, 'Executor'], params: [idParam], errors: [404] } },
  '/v1/executors/{id}/rotate': {
    post: { summary: 'Rotate the HMAC secret; the previous one stays valid for the grace window', roles: ['admin'], ok: [200, 'ExecutorSecret'], params: [idParam], errors: [404] },
  },
  '/v1/executors/{id}/disable': { post: { summary: 'Disable an executor', roles: ['admin'], ok: [200, 'ExecutorEnabled'], params: [idParam], errors: [404] } },
  '/v1/executors/{id}/enable': { post: { summary: 'Enable an executor', roles: ['admin'], ok: [200, 'ExecutorEnabled'], params: [idParam], errors: [404] } },
  '/v1/jwks': { get: { summary: 'Request token verification keys', roles: [], ok: [200, 'Jwks'], public: true } },
  '/.well-known/jwks.json': { get: { summary: 'Request token verification keys', roles: [], ok: [200, 'Jwks'], public: true } },
  '/v1/sys/health': { get: { summary: 'Liveness', roles: [], ok: [200, 'Health'], public: true } },
  '/v1/sys/ready': { get: { summary: 'Readiness: state store and required audit sinks', roles: [], ok: [200, 'Readiness'], public: true, errors: [503] } },
  '/v1/openapi.json': { get: { summary: 'This document', roles: [], ok: [200, 'Health'], public: true } },
  '/v1/executors/{id}/join-token': {
    post: { summary: 'Create a one-time join token for an executor (when the bootstrap listener is configured)', roles: ['admin'], ok: [201, 'JoinToken'], params: [idParam], errors: [404] },
  },
  '/v1/executors/{id}/certificate': {
    post: {
      summary: 'Bootstrap listener (no client certificate): a short-lived executor certificate for a CSR, proven by a join token or an OIDC workload token',
      roles: [],
      body: 'CertificateRequest',
      ok: [200, 'ExecutorCertificate'],
      params: [idParam],
      public: true,
      errors: [400, 401, 403, 413, 415, 429, 503],
    },
  },
  '/v1/proxy/{lease_id}/{path}': Object.fromEntries(
    ['get', 'head', 'post', 'put', 'patch', 'delete', 'options'].map((m) => [m, proxied("Proxy delivery: forwarded to the lease's upstream with the credential injected")]),
  ),
  '/v1/audit/stream': {
    get: { summary: 'Live audit events as NDJSON or SSE, resumable with from_seq or Last-Event-ID', roles: ['auditor'], ok: [200, 'Health'], errors: [404] },
  },
};

const COMMON_ERRORS = [400, 401, 403, 413, 415, 429, 500, 503];

function operation(method: string, path: string, op: Operation) {
  const responses: Record<string, unknown> = { [String(op.ok[0])]: { description: 'success', content: content(op.ok[1]) } };
  for (const status of [...new Set([...(op.public === true ? [500] : COMMON_ERRORS), ...(op.errors ?? [])])].sort()) {
    responses[String(status)] = { description: 'refused or failed', content: content(status === 503 && op.ok[1] === 'Readiness' ? 'Readiness' : 'Error') };
  }
  const roles = op.roles.length === 0 ? '' : ` Roles: ${op.roles.join(', ')}.`;
  return {
    operationId: `${method}${path.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
    summary: op.summary,
    description: `${op.summary}.${roles}`,
    ...(op.public === true ? { security: [] } : {}),
    ...(op.params === undefined ? {} : { parameters: op.params }),
    ...(op.body === undefined ? {} : { requestBody: { required: true, content: content(op.body) } }),
    responses,
  };
}

/** The whole document; `version` is the package version. */
export function openapiDocument(version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [path, methods] of Object.entries(operations)) {
    paths[path] = Object.fromEntries(Object.entries(methods).map(([method, op]) => [method, operation(method, path, op)]));
  }
  // The self-description has no schema of its own worth the name: it is free-form JSON.
  (paths['/v1/openapi.json']!.get as { responses: Record<string, unknown> }).responses['200'] = {
    description: 'this document',
    content: { 'application/json': { schema: { type: 'object' } } },
  };
  // The certificate route lives on the bootstrap listener, which asks for no client certificate.
  paths['/v1/executors/{id}/certificate']!.servers = [{ url: 'https://127.0.0.1:8444', description: 'bootstrap listener (bootstrap.port)' }];
  // Resolve, renew and revoke are served on both listeners: there with a workload OIDC token instead of a certificate.
  for (const path of ['/v1/resolve', '/v1/leases/renew', '/v1/leases/revoke']) {
    paths[path]!.servers = [{ url: 'https://127.0.0.1:8443', description: 'main listener (mutual TLS)' }, { url: 'https://127.0.0.1:8444', description: 'bootstrap listener (bootstrap.port): workload OIDC bearer token' }];
    (paths[path]!.post as { security?: unknown }).security = [{ mtls: [] }, { workloadOidc: [] }];
  }
  // The stream carries canonical audit lines, one JSON object each (see docs/audit.md), not one JSON document.
  (paths['/v1/audit/stream']!.get as { responses: Record<string, unknown>; parameters?: unknown[] }).responses['200'] = {
    description: 'audit events, one canonical JSON line each (NDJSON) or as Server-Sent Events',
    content: { 'application/x-ndjson': { schema: { type: 'object' } }, 'text/event-stream': { schema: { type: 'string' } } },
  };
  // A proxied request answers with whatever the upstream answered (status, headers, body), streamed.
  for (const op of Object.values(paths['/v1/proxy/{lease_id}/{path}']!)) {
    (op as { responses: Record<string, unknown> }).responses['200'] = { description: "the upstream's answer, streamed (any status)", content: { '*/*': { schema: {} } } };
  }
  (paths['/v1/audit/stream']!.get as { parameters?: unknown[] }).parameters = [
    { name: 'from_seq', in: 'query', required: false, schema: { type: 'integer', minimum: 0 }, description: 'replay from this seq, then follow' },
    { name: 'tenant', in: 'query', required: false, schema: { type: 'string' }, description: 'only this tenant\'s events' },
    { name: 'format', in: 'query', required: false, schema: { enum: ['ndjson', 'sse'] } },
  ];
  return {
    openapi: '3.1.0',
    info: {
      title: 'crefgate',
      version,
      description: 'Zero-trust credential gateway. Every route needs a client certificate (mutual TLS) unless marked otherwise.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    servers: [{ url: 'https://127.0.0.1:8443' }],
    security: [{ mtls: [] }],
    paths,
    components: {
      securitySchemes: {
        mtls: { type: 'mutualTLS', description: 'client certificate chaining to the configured CA; identity from its URI SAN or pinned fingerprint' },
        workloadOidc: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'bootstrap listener only: a workload OIDC token of a configured issuer, mapped to an executor (docs/identity.md)' },
      },
      schemas: Object.fromEntries(Object.entries(components).map(([name, [schema, io]]) => [name, jsonSchema(schema, io)])),
    },
  };
}
