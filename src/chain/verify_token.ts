/** Step 5, token: signature with the allow-listed algorithm and a known kid; iss, aud, exp, nbf, bounded skew. */
import { verifyRequestToken, type TokenPolicy } from '../tokens/request_token.ts';
import type { TokenKeyring } from '../tokens/keyring.ts';
import type { ResolveState } from './context.ts';

export async function verifyToken(state: ResolveState, keyring: TokenKeyring, policy: TokenPolicy): Promise<void> {
  state.claims = await verifyRequestToken(keyring, state.envelope!.token, policy, state.now);
}
