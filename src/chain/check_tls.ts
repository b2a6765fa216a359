/** Step 1, TLS: the certificate chained to the CA (else no connection) and maps to an executor identity. */
import { deny } from '../errors.ts';
import type { ResolveState } from './context.ts';

export function checkTls(state: ResolveState): void {
  if (state.identity.role !== 'executor') {
    throw deny('forbidden', 'tls', `identity ${state.identity.id} has role ${state.identity.role}, not executor`);
  }
}
