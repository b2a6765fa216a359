/**
 * Static reads from a KV mount. v2 inserts `data/` after the mount and pins versions with `?version=N`; a
 * version that is soft-deleted or destroyed is not_found (Vault answers 404 for those, but a 200 carrying a
 * deletion_time is treated the same, in case a proxy or future version changes the status).
 */
import { AdapterError, type ReadRequest, type SecretPayload, type StaticSecret } from '../contract.ts';
import { selectField } from '../kit/select_field.ts';
import { encodePath, parseKvVersion } from './paths.ts';

export interface KvSettings {
  mount: string;
  version: 1 | 2;
  stringField: string;
}

/** The request to send: a path relative to /v1 (with query) for the client's `read`. */
export function kvReadPath(kv: KvSettings, request: ReadRequest): string {
  const path = encodePath(request.path, 'kv read');
  if (kv.version === 1) {
    if (request.version !== undefined) throw new AdapterError('invalid_reference', 'vault kv: KV v1 has no versions');
    return `${kv.mount}/${path}`;
  }
  const query = request.version === undefined ? '' : `?version=${parseKvVersion(request.version)}`;
  return `${kv.mount}/data/${path}${query}`;
}

/** Turns Vault's answer into a StaticSecret, selecting `field` when asked. */
export function kvSecret(kv: KvSettings, answer: unknown, field: string | undefined): StaticSecret {
  const body = answer as { data?: unknown } | null;
  let data: unknown = body?.data;
  let version: string | undefined;
  if (kv.version === 2) {
    const inner = data as { data?: unknown; metadata?: { version?: unknown; deletion_time?: unknown; destroyed?: unknown } } | null;
    const metadata = inner?.metadata;
    if (metadata?.destroyed === true || (typeof metadata?.deletion_time === 'string' && metadata.deletion_time !== '')) {
      throw new AdapterError('not_found', 'vault kv: version is deleted or destroyed');
    }
    data = inner?.data;
    version = typeof metadata?.version === 'number' ? String(metadata.version) : undefined;
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new AdapterError('not_found', 'vault kv: secret has no data');
  }
  return { value: selectValue(data as Record<string, unknown>, field, kv.stringField), version };
}

/** A field by the rule every adapter shares (kit/select_field.ts); without one, the whole map as flat text. */
export function selectValue(data: Record<string, unknown>, field: string | undefined, stringField?: string): SecretPayload {
  if (field !== undefined) return selectField(data, field);
  const keys = Object.keys(data);
  if (stringField !== undefined && keys.length === 1 && keys[0] === stringField) return asText(data[stringField]);
  const flat: Record<string, string> = {};
  for (const key of keys) if (data[key] !== null && data[key] !== undefined) flat[key] = asText(data[key]);
  return flat;
}

/** In a whole-map answer, KV values are usually strings; numbers, booleans and nested objects go out as JSON text. */
function asText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}
