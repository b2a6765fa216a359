/**
 * Config defaults that code outside the schema also needs (the CLI's default URL, the embedded default, the admin
 * API's grace window, the revocation worker). The schema's `.default(...)` reads them from here, so a default
 * changed once changes everywhere, docs/configuration.md included (generated from the schema). Section defaults
 * are not written here: the schema derives each from its fields' own defaults.
 */

/** `gateway.host`. */
export const DEFAULT_GATEWAY_HOST = '127.0.0.1';
/** `gateway.port`. */
export const DEFAULT_GATEWAY_PORT = 8443;
/** The gateway URL the CLI uses when given none: the default host and port. */
export const DEFAULT_GATEWAY_URL = `https://${DEFAULT_GATEWAY_HOST}:${DEFAULT_GATEWAY_PORT}`;
/** `gateway.trust_domain`. */
export const DEFAULT_TRUST_DOMAIN = 'crefgate.local';
/** `executors[].grace_seconds`, also the admin API's default when registering an executor. */
export const DEFAULT_GRACE_SECONDS = 300;
/** `leases.revocation_stale_after_ms`. */
export const DEFAULT_REVOCATION_STALE_AFTER_MS = 30_000;
