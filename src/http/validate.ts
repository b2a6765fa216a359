/** Validates a parsed body against a zod schema; a mismatch is `malformed` with the path of the first issue. */
import type { ZodType } from 'zod';
import { describeIssue } from '../envelope/schema.ts';
import { GatewayError, deny } from '../errors.ts';
import type { Identity, Role } from '../identity/identity.ts';

export function validate<T>(schema: ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    const why = describeIssue(result.error);
    throw new GatewayError('malformed', { step: 'shape', reason: `schema: ${why}`, detail: why });
  }
  return result.data;
}

/** The caller's identity if it has one of `roles`; forbidden otherwise. */
export function requireRole(identity: Identity | undefined, ...roles: Role[]): Identity {
  if (identity === undefined) throw deny('unauthenticated', 'tls', 'no identity');
  if (!roles.includes(identity.role)) throw deny('forbidden', 'auth', `role ${identity.role} may not call this (needs ${roles.join(' or ')})`);
  return identity;
}
