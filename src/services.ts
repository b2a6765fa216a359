/** The gateway's parts, built once at start-up from validated config and handed to every route. */
import type { Tracer } from '@opentelemetry/api';
import type { AuditTrail } from './audit/contract.ts';
import type { Mounts } from './backends/mounts.ts';
import type { Policy } from './policy/policy.ts';
import type { RateLimiter } from './ratelimit/limiter.ts';
import type { CrefRouter } from './routing/router.ts';
import type { StateStore } from './state/contract.ts';
import type { TokenKeyring } from './tokens/keyring.ts';
import type { TokenPolicy } from './tokens/request_token.ts';
import type { ProxyService } from './proxy/service.ts';

export interface GatewayServices {
  state: StateStore;
  audit: AuditTrail;
  keyring: TokenKeyring;
  tokenPolicy: TokenPolicy;
  policy: Policy;
  router: CrefRouter;
  mounts: Mounts;
  /** Epoch ms; injectable so tests can freeze or move time. */
  now: () => number;
  limits: {
    bodyBytes: number;
    tokenTtlSeconds: number;
    /** Lease length for static secrets before renewal, seconds (always capped at the job end). */
    staticLeaseSeconds: number;
    /** Grace window for a rotated executor secret, ms (default for newly registered executors). */
    defaultGraceMs: number;
  };
  /** Identity of this replica (audit origin, revocation consumer name). */
  replica: string;
  /** Set when `rate_limits` configures any limit (src/ratelimit/). */
  rateLimiter?: RateLimiter | undefined;
  /** Set when tracing is configured: spans around the chain steps (src/tracing/tracing.ts). */
  tracer?: Tracer | undefined;
  /** Proxy delivery (src/proxy/): held credentials, lease gate, upstream agents. */
  proxy?: ProxyService | undefined;
}
