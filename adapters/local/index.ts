/**
 * The local adapter: the embedded default's secret store, an AES-256-GCM sealed file (sealed_file.ts). The key
 * comes from a file in the state folder or from an environment variable. Static secrets only.
 */
import { createSecretKey } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { AdapterError, type AdapterFactory, type SecretAdapter, type SecretPayload, type StaticSecret } from '../contract.ts';
import { openEntry, readSealedFile, type SealedFile } from './sealed_file.ts';

const optionsSchema = z
  .strictObject({
    file: z.string().default('local-secrets.json').describe('sealed store file, relative to the state folder'),
    key_file: z.string().optional().describe('file holding the 32-byte key, base64'),
    key_env: z.string().optional().describe('environment variable holding the 32-byte key, base64'),
    key_id: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/).default('local-1'),
  })
  .refine((o) => (o.key_file === undefined) !== (o.key_env === undefined), { message: 'exactly one of key_file or key_env' });

export type LocalOptions = z.infer<typeof optionsSchema>;

/** Decodes a base64 key and checks it is 32 bytes. */
export function decodeKey(text: string, where: string): Buffer {
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== 32) throw new Error(`${where} must hold 32 bytes, base64 encoded`);
  return key;
}

/** Loads the local store key named by the options. */
export function loadLocalKey(options: LocalOptions, baseDir: string, env: NodeJS.ProcessEnv = process.env): Buffer {
  if (options.key_env !== undefined) {
    const text = env[options.key_env];
    if (text === undefined) throw new Error(`environment variable ${options.key_env} is not set`);
    return decodeKey(text, options.key_env);
  }
  const file = path.resolve(baseDir, options.key_file!);
  return decodeKey(readFileSync(file, 'utf8'), file);
}

// Re-read the file when it changes, but stat it at most this often: resolves stay off the disk.
const STAT_INTERVAL_MS = 500;

function createLocalAdapter(file: string, rawKey: Buffer, keyId: string): SecretAdapter {
  const key = createSecretKey(rawKey);
  let store: SealedFile | undefined;
  let mtimeMs = -1;
  let checkedAt = 0;

  async function current(): Promise<SealedFile> {
    const now = Date.now();
    if (store !== undefined && now - checkedAt < STAT_INTERVAL_MS) return store;
    checkedAt = now;
    const info = await stat(file).catch(() => undefined);
    const m = info?.mtimeMs ?? 0;
    if (store === undefined || m !== mtimeMs) {
      store = await readSealedFile(file, keyId);
      mtimeMs = m;
    }
    return store;
  }

  return {
    kind: 'local',
    async read({ path: secretPath, field, version, signal }): Promise<StaticSecret> {
      signal.throwIfAborted();
      let sealed: SealedFile;
      try {
        sealed = await current();
      } catch (err) {
        throw new AdapterError('unavailable', 'local store file unreadable', { cause: err });
      }
      const entry = Object.hasOwn(sealed.entries, secretPath) ? sealed.entries[secretPath] : undefined;
      if (entry === undefined || (version !== undefined && String(entry.version) !== version)) {
        throw new AdapterError('not_found', 'no such local secret');
      }
      let value: SecretPayload;
      try {
        value = openEntry(key, secretPath, entry);
      } catch (err) {
        throw new AdapterError('integrity', 'local secret failed authentication (wrong key or tampered)', { cause: err });
      }
      if (field !== undefined) {
        if (typeof value === 'string' || !Object.hasOwn(value, field)) throw new AdapterError('not_found', 'no such field');
        return { value: value[field]!, version: String(entry.version) };
      }
      return { value, version: String(entry.version) };
    },
    async health() {
      try {
        await current();
        return { ok: true };
      } catch {
        return { ok: false, detail: 'local store file unreadable' };
      }
    },
    async close() {
      store = undefined;
    },
  };
}

export const localAdapter = {
  kind: 'local',
  optionsSchema,
  create(options: LocalOptions, context) {
    const key = loadLocalKey(options, context.stateDir);
    return createLocalAdapter(path.resolve(context.stateDir, options.file), key, options.key_id);
  },
} satisfies AdapterFactory<LocalOptions>;
