/**
 * The credentials behind proxied leases, held in this process's memory only (never in the state store, a log or
 * an audit line). The replica that resolved a lease holds its value from the resolve. Any other replica re-reads
 * a static secret through the lease's route (the lease record names the cref and mount), so a request that lands
 * on another replica still works. A dynamic credential (an STS session) exists only where it was minted: another
 * replica cannot re-create it without minting a new, unrecorded credential, so it answers `unavailable` there
 * (docs/proxy.md: route /v1/proxy/<lease>/ to one replica, or use a static secret, for a multi-replica set-up).
 */
import type { SecretPayload } from '../../adapters/contract.ts';
import type { Mounts } from '../backends/mounts.ts';
import { parseCref } from '../envelope/cref.ts';
import { asGatewayError, deny } from '../errors.ts';
import type { CrefRouter } from '../routing/router.ts';
import type { LeaseRecord } from '../state/contract.ts';

interface Held {
  value: SecretPayload;
  /** Epoch ms after which the value is dropped (a static one is then re-read). */
  until: number;
  dynamic: boolean;
}

export class ProxyCredentials {
  private readonly held = new Map<string, Held>();
  private readonly reads = new Map<string, Promise<SecretPayload>>();

  private readonly router: CrefRouter;
  private readonly mounts: Mounts;
  private readonly cacheMs: number;
  private readonly now: () => number;

  constructor(router: CrefRouter, mounts: Mounts, cacheMs: number, now: () => number) {
    this.router = router;
    this.mounts = mounts;
    this.cacheMs = cacheMs;
    this.now = now;
  }

  /** Keeps the value a resolve fetched for a proxied lease. */
  hold(lease: LeaseRecord, value: SecretPayload, dynamic: boolean): void {
    this.held.set(lease.leaseId, { value, dynamic, until: dynamic ? lease.expiresAt : Math.min(lease.expiresAt, this.now() + this.cacheMs) });
  }

  /** The credential of an active lease: held, or re-read from its backend if static. */
  async get(lease: LeaseRecord, signal: AbortSignal): Promise<SecretPayload> {
    const held = this.held.get(lease.leaseId);
    const now = this.now();
    if (held !== undefined && held.until > now) return held.value;
    if (held !== undefined) this.held.delete(lease.leaseId);
    if (lease.handle !== undefined) {
      throw deny('unavailable', 'proxy', 'the dynamic credential of this lease is held by the replica that resolved it');
    }
    let reading = this.reads.get(lease.leaseId);
    if (reading === undefined) {
      reading = this.read(lease, signal).finally(() => this.reads.delete(lease.leaseId));
      this.reads.set(lease.leaseId, reading);
    }
    const value = await reading;
    this.held.set(lease.leaseId, { value, dynamic: false, until: Math.min(lease.expiresAt, now + this.cacheMs) });
    return value;
  }

  /** Forgets a lease's credential (cut-off). */
  drop(leaseId: string): void {
    this.held.delete(leaseId);
  }

  /** Forgets every value whose time is up (ProxyService runs it every few seconds). */
  sweep(): void {
    const now = this.now();
    for (const [id, held] of this.held) if (held.until <= now) this.held.delete(id);
  }

  get size(): number {
    return this.held.size;
  }

  private async read(lease: LeaseRecord, signal: AbortSignal): Promise<SecretPayload> {
    const cref = parseCref(lease.cref);
    const route = cref === undefined ? undefined : this.router.route(cref);
    // The route may have changed since the resolve; only the same mount, still proxied, is trusted.
    if (route === undefined || route.mount !== lease.mount || route.proxy === undefined || route.dynamic) {
      throw deny('forbidden', 'proxy', 'the route of this lease no longer delivers it through the proxy');
    }
    try {
      const secret = await this.mounts.get(route.mount).read({ path: route.path, field: route.field, version: route.version, signal });
      return secret.value;
    } catch (err) {
      throw asGatewayError(err, 'backend');
    }
  }
}
