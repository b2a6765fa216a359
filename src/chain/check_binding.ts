/**
 * Step 6, binding: the token was minted for exactly this payload (`pld`), job, tenant, nonce and executor, and
 * the executor's certificate is the one presenting it. A stolen token with another payload stops here.
 */
import { payloadDigest } from '../envelope/payload_digest.ts';
import { deny } from '../errors.ts';
import type { ResolveState } from './context.ts';

export function checkBinding(state: ResolveState): void {
  const claims = state.claims!;
  const payload = state.envelope!.payload;
  const mismatch = (what: string) => deny('forbidden', 'binding', `token ${what} does not match the payload`);
  if (claims.pld !== payloadDigest(state.canonicalPayload!)) throw mismatch('pld');
  if (claims.sub !== payload.executor || claims.sub !== state.identity.id) throw mismatch('sub');
  if (claims.tenant !== payload.tenant) throw mismatch('tenant');
  if (claims.job_id !== payload.job_id) throw mismatch('job_id');
  if (claims.jti !== payload.nonce) throw mismatch('jti');
  if (state.executor!.tenant !== payload.tenant) {
    throw deny('forbidden', 'binding', `executor belongs to ${state.executor!.tenant}, payload names ${payload.tenant}`);
  }
  if (payload.expires_at * 1000 <= state.now) throw deny('expired', 'binding', 'the job has ended');
}
