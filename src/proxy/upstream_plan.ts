/**
 * What a route's upstream needs on every proxied request, worked out once per route instead of per request: the
 * origin (redirect checks), the `Host` value, where to connect (an IPv6 literal unbracketed, no SNI for an IP
 * literal), and the executor headers the injection replaces. The route's `proxy` member is the config's own object
 * (the router hands it out as is), so a WeakMap keyed by it lives exactly as long as that config.
 */
import type { RouteProxy } from './config.ts';

export interface UpstreamPlan {
  origin: string;
  /** `host[:port]` as the upstream's `Host` header. */
  host: string;
  hostname: string;
  port: number;
  /** SNI: the host name, or undefined for an IP literal (RFC 6066 §3 forbids literals). */
  servername: string | undefined;
  /** Lower-case executor headers dropped because the injection sets or signs them. */
  strip: ReadonlySet<string>;
}

const SIGV4_HEADERS: ReadonlySet<string> = new Set(['x-amz-date', 'x-amz-security-token', 'x-amz-content-sha256', 'authorization']);
const NOTHING: ReadonlySet<string> = new Set();
const plans = new WeakMap<RouteProxy, UpstreamPlan>();

/** The plan of a route's upstream (computed on first use). */
export function upstreamPlan(route: RouteProxy): UpstreamPlan {
  let plan = plans.get(route);
  if (plan === undefined) {
    const url = new URL(route.upstream);
    plan = {
      origin: url.origin,
      host: url.host,
      hostname: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port === '' ? 443 : Number(url.port),
      servername: /^[\d.]+$|:/.test(url.hostname) ? undefined : url.hostname,
      strip: route.inject.kind === 'header' ? new Set([route.inject.header]) : route.inject.kind === 'aws_sigv4' ? SIGV4_HEADERS : NOTHING,
    };
    plans.set(route, plan);
  }
  return plan;
}
