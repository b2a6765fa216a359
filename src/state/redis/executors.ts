/**
 * The executor registry in Redis, under the `{executors}` hash tag. Secrets are sealed (secret_box.ts) before
 * they leave the process. Every `get` reads Redis; every change increments the record's `version` in its own
 * script, which the nonce reservation reads (jobs.ts) so that callers may cache records (src/executors/cache.ts).
 *
 * Rotation is a compare-and-set loop: read the sealed version list, compute the new one, and let a Lua script
 * write it only if the list is still what was read. Versions carry kid and times in clear, so no decryption is
 * needed, and the script never decodes JSON.
 */
import type { ExecutorRecord, ExecutorRegistry } from '../contract.ts';
import { StateUnavailableError } from '../contract.ts';
import { copyExecutor, rotateVersions } from '../records.ts';
import type { Guard } from './jobs.ts';
import { encodeId, type RedisKeys } from './keys.ts';
import { lua, runScript, type RedisCaller, listMembersScript } from './script.ts';
import type { SealedSecret, SecretBox } from './secret_box.ts';

interface SealedVersion {
  kid: string;
  createdAt: number;
  supersededAt?: number;
  box: SealedSecret;
}

type Meta = Omit<ExecutorRecord, 'enabled' | 'disabledAt' | 'secrets'>;
type Fields = [string | null, string | null, string | null, string | null, string | null];

// `version` is incremented by every script that changes the record, in that script (see ExecutorRecord.version).
const FIELDS = `'meta', 'enabled', 'disabledAt', 'secrets', 'version'`;
const MAX_ROTATE_ATTEMPTS = 20;
/** Decoded records kept (one per executor, oldest dropped first). */
const MAX_DECODED = 10_000;

const REGISTER = lua(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'meta', ARGV[1], 'enabled', ARGV[2], 'secrets', ARGV[3], 'version', 1)
if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 'disabledAt', ARGV[4]) end
redis.call('SADD', KEYS[2], ARGV[5])
return 1`);

const SET_SECRETS_IF = lua(`
if redis.call('HGET', KEYS[1], 'secrets') ~= ARGV[1] then return false end
redis.call('HSET', KEYS[1], 'secrets', ARGV[2])
redis.call('HINCRBY', KEYS[1], 'version', 1)
return redis.call('HMGET', KEYS[1], ${FIELDS})`);

// disabledAt keeps the first disable time; enabling clears it.
const SET_ENABLED = lua(`
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
redis.call('HSET', KEYS[1], 'enabled', ARGV[1])
if ARGV[1] == '1' then redis.call('HDEL', KEYS[1], 'disabledAt') else redis.call('HSETNX', KEYS[1], 'disabledAt', ARGV[2]) end
redis.call('HINCRBY', KEYS[1], 'version', 1)
return redis.call('HMGET', KEYS[1], ${FIELDS})`);

const LIST = listMembersScript(FIELDS);

/** Creates the Redis executor registry. */
export function createRedisExecutors(client: RedisCaller, keys: RedisKeys, guard: Guard, box: SecretBox): ExecutorRegistry {
  const decode = (fields: Fields): ExecutorRecord => {
    const [meta, enabled, disabledAt, secrets, version] = fields;
    const m = JSON.parse(meta ?? '{}') as Meta;
    const versions = JSON.parse(secrets ?? '[]') as SealedVersion[];
    return {
      ...m,
      enabled: enabled === '1',
      ...(disabledAt === null ? {} : { disabledAt: Number(disabledAt) }),
      // Records written before versions existed read as version 0 until their next change.
      version: version === null ? 0 : Number(version),
      secrets: versions.map(({ box: sealed, ...v }) => ({ ...v, secret: box.open(sealed, m.id, v.kid) })),
    };
  };

  // Decoding opens every secret version with AES-GCM, per resolve. Every get still reads Redis (so rotation and
  // disable are seen at once); only a field-for-field identical answer reuses the decode. A changed answer
  // replaces the entry, so a rotated-away secret does not linger here, and callers get copies, as from memory.
  const decoded = new Map<string, { fields: Fields; record: ExecutorRecord }>();
  const decodeCached = (id: string, fields: Fields): ExecutorRecord => {
    const hit = decoded.get(id);
    if (hit?.fields.every((f, i) => f === fields[i])) return copyExecutor(hit.record);
    const record = decode(fields);
    decoded.delete(id);
    if (decoded.size >= MAX_DECODED) decoded.delete(decoded.keys().next().value!);
    decoded.set(id, { fields, record });
    return copyExecutor(record);
  };

  const read = async (id: string): Promise<Fields> =>
    (await client.call('HMGET', keys.executor(id), 'meta', 'enabled', 'disabledAt', 'secrets', 'version')) as Fields;

  return {
    get: (id) =>
      guard('executors.get', async () => {
        const fields = await read(id);
        if (fields[0] === null) {
          decoded.delete(id);
          return undefined;
        }
        return decodeCached(id, fields);
      }),
    register: (record) =>
      guard('executors.register', async () => {
        const { enabled, disabledAt, secrets, ...meta } = record;
        const sealed: SealedVersion[] = secrets.map(({ secret, ...v }) => ({ ...v, box: box.seal(secret, record.id, v.kid) }));
        const args = [JSON.stringify(meta), enabled ? '1' : '0', JSON.stringify(sealed), disabledAt === undefined ? '' : String(disabledAt), encodeId(record.id)];
        return (await runScript(client, REGISTER, [keys.executor(record.id), keys.executorIds], args)) === 1;
      }),
    rotate: (id, version, at) =>
      guard('executors.rotate', async () => {
        const { secret, ...clear } = version;
        const sealed: SealedVersion = { ...clear, box: box.seal(secret, id, version.kid) };
        for (let attempt = 0; attempt < MAX_ROTATE_ATTEMPTS; attempt += 1) {
          const [meta, , , current] = await read(id);
          if (meta === null || current === null) return undefined;
          const { graceMs } = JSON.parse(meta) as Meta;
          const next = JSON.stringify(rotateVersions(JSON.parse(current) as SealedVersion[], sealed, at, graceMs));
          const written = (await runScript(client, SET_SECRETS_IF, [keys.executor(id)], [current, next])) as Fields | null;
          if (written !== null) return decode(written);
        }
        throw new StateUnavailableError(`executors.rotate: ${id} kept changing under concurrent rotations`);
      }),
    setEnabled: (id, enabled, at) =>
      guard('executors.setEnabled', async () => {
        const reply = (await runScript(client, SET_ENABLED, [keys.executor(id)], [enabled ? '1' : '0', at])) as Fields | null;
        return reply === null ? undefined : decode(reply);
      }),
    list: (tenant) =>
      guard('executors.list', async () => {
        const rows = (await runScript(client, LIST, [keys.executorIds], [keys.executorRecordPrefix])) as Fields[];
        return rows
          .map(decode)
          .filter((r) => tenant === undefined || r.tenant === tenant)
          .sort((a, b) => a.id.localeCompare(b.id));
      }),
  };
}
