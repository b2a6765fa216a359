/**
 * The one id rule of crefgate: tenant, executor and mount ids are a lowercase letter or digit followed by up to
 * 62 of `[a-z0-9_-]`. Ids appear in crefs, SPIFFE URIs, Redis keys and audit lines, so every place that
 * accepts one uses this definition (issue 17: it had 11 copies). Leaf module: imports nothing.
 */

/** The rule as regex source, for patterns that embed an id (a SPIFFE URI, a cref). */
export const ID_SOURCE = '[a-z0-9][a-z0-9_-]{0,62}';

/** A whole string that is one id. */
export const ID_PATTERN = new RegExp(`^${ID_SOURCE}$`);
