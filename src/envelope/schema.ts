/**
 * The job envelope, wire contract v1 (DESIGN.md), as zod schemas. Strict objects: unknown members are rejected,
 * never ignored. The same schemas validate requests and generate the OpenAPI description.
 */
import { z } from 'zod';
import { bindingsSchema } from './bindings.ts';
import { isCref } from './cref.ts';
import { ID_PATTERN, ID_SOURCE } from './id.ts';

export const MAX_CREFS = 32;
export const tenantIdSchema = z.string().regex(ID_PATTERN, `must match ${ID_SOURCE}`);
export const executorIdSchema = z.string().regex(ID_PATTERN, `must match ${ID_SOURCE}`);
export const jobIdSchema = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'must match [A-Za-z0-9_-]{8,64}');
// Aliases start with a letter: integer-like keys would be reordered by JavaScript objects and break the
// canonical byte form between issuer and verifier.
export const aliasSchema = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'alias must match [a-z][a-z0-9_]{0,63}');
export const crefSchema = z.string().refine(isCref, 'not a canonical cref (cref://<tenant>/<name>…)');
const epochSeconds = z.number().int().min(0).max(2 ** 40);

export const crefMapSchema = z
  .record(aliasSchema, crefSchema)
  .refine((m) => Object.keys(m).length >= 1 && Object.keys(m).length <= MAX_CREFS, `1 to ${MAX_CREFS} crefs`);

/**
 * Aliases the coordinator marked for proxy delivery (docs/proxy.md): their resolve returns a proxy URL, never the
 * value. Absent when none is marked, so payloads without it keep their exact canonical bytes.
 */
export const deliverySchema = z
  .record(aliasSchema, z.literal('proxy'))
  .refine((m) => Object.keys(m).length >= 1 && Object.keys(m).length <= MAX_CREFS, `1 to ${MAX_CREFS} aliases`);

export const payloadSchema = z.strictObject({
  v: z.literal(1),
  job_id: jobIdSchema,
  tenant: tenantIdSchema,
  executor: executorIdSchema,
  crefs: crefMapSchema,
  issued_at: epochSeconds,
  expires_at: epochSeconds,
  nonce: z.string().regex(/^[A-Za-z0-9_-]{22,128}$/, 'base64url, at least 128 bits'),
  /** What the job is bound to (src/envelope/bindings.ts). Absent when unbound, so unbound payloads keep their exact bytes. */
  bindings: bindingsSchema.optional(),
  delivery: deliverySchema.optional(),
});

export const envelopeSchema = z.strictObject({
  payload: payloadSchema,
  kid: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  sig: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'base64url HMAC-SHA256 tag'),
  token: z.string().max(4096).regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, 'compact JWS'),
});

export type JobPayload = z.infer<typeof payloadSchema>;
export type Envelope = z.infer<typeof envelopeSchema>;

/** Claims of the request token (DESIGN.md): bound to the payload by `pld`. */
export interface RequestTokenClaims {
  iss: string;
  aud: string;
  sub: string;
  jti: string;
  iat: number;
  nbf: number;
  exp: number;
  tenant: string;
  job_id: string;
  pld: string;
}

/** `path: message` of the first schema issue, safe to show the client (it describes its own input). */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'invalid';
  const path = issue.path.map(String).join('.');
  return path === '' ? issue.message : `${path}: ${issue.message}`;
}
