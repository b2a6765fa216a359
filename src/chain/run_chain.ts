/** The validation chain of `POST /v1/resolve`, in the order of DESIGN.md. Each step throws a typed denial. */
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
  keyring: TokenKeyring;
  tokenPolicy: TokenPolicy;
  policy: Policy;
  router: CrefRouter;
}

/** Runs steps 1–8. On success the nonce is reserved and `state` is fully populated. */
export async function runChain(state: ResolveState, deps: ChainDeps): Promise<CheckedResolve> {
  checkTls(state);
  checkShape(state);
  await checkExecutor(state, deps.state);
  verifyHmac(state);
  await verifyToken(state, deps.keyring, deps.tokenPolicy);
  checkBinding(state);
  checkScope(state, deps.policy, deps.router);
  await burnNonce(state, deps.state);
  return state as CheckedResolve;
}
