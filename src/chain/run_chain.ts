/** The validation chain of `POST /v1/resolve`, in the order of DESIGN.md. Each step throws a typed denial. */
import type { Tracer } from '@opentelemetry/api';
import { inSpan } from '../tracing/tracing.ts';
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

type Step = readonly [name: string, run: (state: ResolveState, deps: ChainDeps) => void | Promise<void>];

/** The steps in order; each throws a typed denial, and the first that throws ends the chain. */
const STEPS: readonly Step[] = [
  ['tls', (state) => checkTls(state)],
  ['shape', (state) => checkShape(state)],
  ['executor', (state, deps) => checkExecutor(state, deps.state)],
  ['hmac', (state) => verifyHmac(state)],
  ['token', (state, deps) => verifyToken(state, deps.keyring, deps.tokenPolicy)],
  ['binding', (state, deps) => checkBinding(state, deps.router)],
  ['scope', (state, deps) => checkScope(state, deps.policy, deps.router)],
  ['nonce', (state, deps) => burnNonce(state, deps.state, deps.now, deps.tokenPolicy.clockSkewSeconds)],
];

/** Runs steps 1–8. On success the nonce is reserved and `state` is fully populated. */
export async function runChain(state: ResolveState, deps: ChainDeps): Promise<CheckedResolve> {
  const tracer = deps.tracer;
  for (const [name, run] of STEPS) {
    if (tracer !== undefined) {
      await inSpan(tracer, `chain.${name}`, { 'crefgate.step': name }, () => run(state, deps));
      continue;
    }
    // Untraced: a synchronous step runs without a promise of its own (same order, same errors).
    const pending = run(state, deps);
    if (pending !== undefined) await pending;
  }
  return state as CheckedResolve;
}
