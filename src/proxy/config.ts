/**
 * Configuration of proxy delivery (docs/proxy.md): the gateway-wide `proxy:` section (limits, timeouts, the
 * public URL) and the route-level `proxy:` member that makes a route's crefs deliverable through the proxy
 * (upstream origin, allow-list, how the credential is injected). Validated once at start-up.
 */
import { z } from 'zod';

const METHOD = z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** `https://host[:port]` and nothing else: no path, query, fragment or credentials (the allow-list is per origin). */
const origin = z.string().refine((text) => {
  try {
    const url = new URL(text);
    return url.protocol === 'https:' && url.username === '' && url.password === '' && url.pathname === '/' && url.search === '' && url.hash === '' && url.origin === text.replace(/\/$/, '');
  } catch {
    return false;
  }
}, 'an https origin such as https://api.github.com (no path, query or credentials)');

// A prefix is matched against the raw request path, so it must itself be a clean path: absolute, no dot
// segments, no percent-encoding, no backslash.
const pathPrefix = z.string().regex(/^\/(?:[A-Za-z0-9_~!$&'()*+,;=:@.-]+\/?)*$/, 'an absolute path prefix without percent-encoding').refine((p) => !p.split('/').some((s) => s === '.' || s === '..'), 'no dot segments');
// Framing and routing headers are crefgate's to set: a credential may not be injected into them.
const RESERVED = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'te', 'trailer', 'expect']);
const headerName = z
  .string()
  .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/, 'an HTTP header name')
  .refine((h) => !RESERVED.has(h.toLowerCase()), 'not a framing header (host, content-length, transfer-encoding…)')
  .transform((h) => h.toLowerCase());

const injectHeader = z.strictObject({
  kind: z.literal('header'),
  header: headerName.default('authorization').describe('header that carries the credential'),
  template: z.string().min(7).max(256).refine((t) => t.split('{value}').length === 2 && !/[\r\n]/.test(t), 'contains {value} exactly once, no CR/LF').default('Bearer {value}').describe('`Bearer {value}`, `token {value}`…'),
  field: z.string().optional().describe('for a secret with fields: which field is the value'),
});
const injectBasic = z.strictObject({
  kind: z.literal('basic'),
  username_field: z.string().default('username'),
  password_field: z.string().default('password'),
});
const injectSigV4 = z.strictObject({
  kind: z.literal('aws_sigv4'),
  service: z.string().regex(/^[a-z0-9-]{1,64}$/).describe('signing name, e.g. secretsmanager, s3'),
  region: z.string().regex(/^[a-z0-9-]{1,32}$/),
});

export const routeProxySchema = z.strictObject({
  upstream: origin.describe('the only origin requests go to'),
  methods: z.array(METHOD).min(1).describe('allowed methods; anything else is refused'),
  path_prefixes: z.array(pathPrefix).min(1).describe('allowed upstream path prefixes; `/` allows every path'),
  inject: z.discriminatedUnion('kind', [injectHeader, injectBasic, injectSigV4]).describe('how the credential is added'),
  required: z.boolean().default(false).describe('refuse to issue this route\'s crefs for value delivery'),
  ca_file: z.string().optional().describe('CA bundle that verifies the upstream (default: Node\'s public roots)'),
});

export const proxySettingsSchema = z.strictObject({
  public_url: z.string().url().optional().describe('base of proxy URLs handed to executors (default: https://<gateway.host>:<port>)'),
  upstream_timeout_ms: z.number().int().min(100).max(600_000).default(30_000).describe('an upstream exchange idle this long is aborted'),
  max_request_bytes: z.number().int().min(0).max(1_073_741_824).default(10_485_760),
  max_response_bytes: z.number().int().min(0).max(1_073_741_824).default(104_857_600),
  max_header_bytes: z.number().int().min(1024).max(65_536).default(8192).describe('request headers larger than this are refused'),
  check_interval_ms: z.number().int().min(50).max(60_000).default(1000).describe('in-flight requests re-check their lease this often (other replicas\' completions)'),
  credential_cache_ms: z.number().int().min(0).max(3_600_000).default(60_000).describe('a static secret is re-read from its backend after this long'),
});

/** The section's defaults, derived from its fields' own `.default(...)` so each value is written once. */
export const PROXY_DEFAULTS = proxySettingsSchema.parse({});

export type RouteProxy = z.infer<typeof routeProxySchema>;
export type ProxySettings = z.infer<typeof proxySettingsSchema>;
export type Injection = RouteProxy['inject'];
export type ProxyMethod = z.infer<typeof METHOD>;
