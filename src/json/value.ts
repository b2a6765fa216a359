/**
 * A JSON value as the gateway stores and signs it (adapter handles, audit details, route options, lease records).
 * A leaf: state, audit, routing and the adapter contract all use it, so it lives in none of them.
 */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
