/** The validation chain of `POST /v1/resolve`, in the order of DESIGN.md. Each step throws a typed denial. */
import type { Tracer } from '@opentelemetry/api';
import { inSpan } from '../ops/tracing.ts';
import type { Policy } from '../policy/policy.ts';
import type { CrefRouter } from '../routing/router.ts';
import type { StateStore } from '../state/contract.ts';
import type { TokenKeyring } from '../tokens/keyring.ts';
import type { TokenPolicy } from '../tokens/request_token.ts';
import { burnNonce } from './burn_nonce.ts';
import { checkBinding } from './check_binding.ts';
import { checkExecutor } from './check_executor.ts';
import { checkScope } from './check_scope.ts';
import { checkShape } from './check_shape.ts';
import { checkTls } from './check_tls.ts';
import type { CheckedResolve, ResolveState } from './context.ts';
import { verifyHmac } from './verify_hmac.ts';
import { verifyToken } from './verify_token.ts';

export interface ChainDeps {
  state: StateStore;
  /** Epoch ms clock (background retries after the request time). */
  now: () => number;
  keyring: TokenKeyring;
  tokenPolicy: TokenPolicy;
  policy: Policy;
  router: CrefRouter;
  /** Spans around each step when tracing is configured. */
  tracer?: Tracer | undefined;
}

/** Runs steps 1–8. On success the nonce is reserved and `state` is fully populated. */
export async function runChain(state: ResolveState, deps: ChainDeps): Promise<CheckedResolve> {
  const step = <T>(name: string, run: () => T | Promise<T>) => inSpan(deps.tracer, `chain.${name}`, { 'crefgate.step': name }, run);
  await step('tls', () => checkTls(state));
  await step('shape', () => checkShape(state));
  await step('executor', () => checkExecutor(state, deps.state));
  await step('hmac', () => verifyHmac(state));
  await step('token', () => verifyToken(state, deps.keyring, deps.tokenPolicy));
  await step('binding', () => checkBinding(state, deps.router));
  await step('scope', () => checkScope(state, deps.policy, deps.router));
  await step('nonce', () => burnNonce(state, deps.state, deps.now, deps.tokenPolicy.clockSkewSeconds));
  return state as CheckedResolve;
}
