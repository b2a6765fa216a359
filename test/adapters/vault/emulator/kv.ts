/**
 * KV secrets engine, versions 1 and 2, as Vault's HTTP API documents them. v2 keeps every version; a read of a
 * soft-deleted or destroyed version answers 404 with the metadata in the body, as real Vault does.
 */
import { logical, noContent, rfc3339, vaultError, type VaultReply, type VaultRequest } from './http.ts';
import type { KvMount, KvV2Secret, KvVersion, VaultState } from './state.ts';

/** Handles a request under a KV mount; `rest` is the path after `<mount>/`. */
export function handleKv(state: VaultState, mount: KvMount, req: VaultRequest, rest: string): VaultReply {
  if (mount.version === 1) return handleKv1(mount, req, rest);
  const slash = rest.indexOf('/');
  const area = slash < 0 ? rest : rest.slice(0, slash);
  const path = slash < 0 ? '' : rest.slice(slash + 1);
  if (path === '') return vaultError(404, `no handler for route "${req.path}". route entry not found.`);
  const now = state.now();
  switch (`${req.method} ${area}`) {
    case 'GET data':
      return readV2(mount.v2.get(path), req.query.get('version'));
    case 'POST data':
    case 'PUT data':
      return writeV2(mount, path, req.body, now);
    case 'DELETE data':
      return changeVersions(mount.v2.get(path), 'latest', (v) => (v.deletedAt ??= now));
    case 'POST delete':
    case 'PUT delete':
      return changeVersions(mount.v2.get(path), req.body.versions, (v) => (v.deletedAt ??= now));
    case 'POST undelete':
    case 'PUT undelete':
      return changeVersions(mount.v2.get(path), req.body.versions, (v) => (v.deletedAt = undefined));
    case 'POST destroy':
    case 'PUT destroy':
      return changeVersions(mount.v2.get(path), req.body.versions, (v) => {
        v.destroyed = true;
        v.data = {};
      });
    case 'GET metadata':
      return readMetadata(mount.v2.get(path));
    case 'DELETE metadata':
      mount.v2.delete(path);
      return noContent;
    default:
      return vaultError(405, 'unsupported operation');
  }
}

function handleKv1(mount: KvMount, req: VaultRequest, path: string): VaultReply {
  if (req.method === 'GET') {
    const data = mount.v1.get(path);
    // KV v1 answers with the mount's default lease, 768 hours, which is advisory only.
    return data === undefined ? vaultError(404) : logical(data, { lease_duration: 2_764_800 });
  }
  if (req.method === 'POST' || req.method === 'PUT') {
    mount.v1.set(path, req.body);
    return noContent;
  }
  if (req.method === 'DELETE') {
    mount.v1.delete(path);
    return noContent;
  }
  return vaultError(405, 'unsupported operation');
}

function versionMetadata(version: KvVersion, number: number): Record<string, unknown> {
  return {
    created_time: rfc3339(version.createdAt),
    custom_metadata: null,
    deletion_time: version.deletedAt === undefined ? '' : rfc3339(version.deletedAt),
    destroyed: version.destroyed,
    version: number,
  };
}

function readV2(secret: KvV2Secret | undefined, versionParam: string | null): VaultReply {
  if (secret === undefined) return vaultError(404);
  const number = versionParam === null || versionParam === '0' ? secret.currentVersion : Number(versionParam);
  if (!Number.isInteger(number)) return vaultError(400, 'invalid version');
  const version = secret.versions.get(number);
  if (version === undefined) return vaultError(404);
  const metadata = versionMetadata(version, number);
  if (version.deletedAt !== undefined || version.destroyed) {
    const reply = logical({ data: null, metadata });
    return { ...reply, status: 404 };
  }
  return logical({ data: version.data, metadata });
}

function writeV2(mount: KvMount, path: string, body: Record<string, unknown>, now: number): VaultReply {
  const data = body.data;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return vaultError(400, 'no data provided');
  let secret = mount.v2.get(path);
  if (secret === undefined) {
    secret = { versions: new Map(), currentVersion: 0, createdAt: now, updatedAt: now };
    mount.v2.set(path, secret);
  }
  const cas = (body.options as { cas?: unknown } | undefined)?.cas;
  if (typeof cas === 'number' && cas !== secret.currentVersion) {
    return vaultError(400, 'check-and-set parameter did not match the current version');
  }
  secret.currentVersion += 1;
  secret.updatedAt = now;
  const version: KvVersion = { data: data as Record<string, unknown>, createdAt: now, deletedAt: undefined, destroyed: false };
  secret.versions.set(secret.currentVersion, version);
  return logical(versionMetadata(version, secret.currentVersion));
}

function changeVersions(secret: KvV2Secret | undefined, versions: unknown, change: (v: KvVersion) => void): VaultReply {
  if (secret === undefined) return noContent;
  const numbers = versions === 'latest' ? [secret.currentVersion] : versions;
  if (!Array.isArray(numbers) || numbers.length === 0) return vaultError(400, 'no version number provided');
  for (const n of numbers) {
    const version = secret.versions.get(Number(n));
    if (version !== undefined) change(version);
  }
  return noContent;
}

function readMetadata(secret: KvV2Secret | undefined): VaultReply {
  if (secret === undefined) return vaultError(404);
  const versions: Record<string, unknown> = {};
  for (const [n, v] of secret.versions) {
    const { created_time, deletion_time, destroyed } = versionMetadata(v, n);
    versions[String(n)] = { created_time, deletion_time, destroyed };
  }
  const numbers = [...secret.versions.keys()];
  return logical({
    cas_required: false,
    created_time: rfc3339(secret.createdAt),
    current_version: secret.currentVersion,
    custom_metadata: null,
    delete_version_after: '0s',
    max_versions: 0,
    oldest_version: numbers.length === 0 ? 0 : Math.min(...numbers),
    updated_time: rfc3339(secret.updatedAt),
    versions,
  });
}
