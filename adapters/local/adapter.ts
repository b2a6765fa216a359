/**
 * The local adapter: the embedded default's secret store, an AES-256-GCM sealed file (sealed_file.ts) whose
 * key comes from key.ts. Static secrets only.
 */
import { createSecretKey } from 'node:crypto';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { AdapterError, type AdapterContext, type SecretAdapter, type SecretPayload, type StaticSecret } from '../contract.ts';
import { selectField } from '../kit/select_field.ts';
import { manifest } from './index.ts';
import { loadLocalKey } from './key.ts';
import { entryTampered, storeUnreadable } from './map_error.ts';
import type { LocalOptions } from './options.ts';
import { openEntry, readSealedFile, type SealedFile } from './sealed_file.ts';

// Re-read the file when it changes, but stat it at most this often: resolves stay off the disk.
const STAT_INTERVAL_MS = 500;

/** Builds a local adapter for one mount: the key is loaded now, the store file at the first read. */
export function create(options: LocalOptions, context: AdapterContext): SecretAdapter {
  const key = loadLocalKey(options, context.stateDir);
  return createLocalAdapter(path.resolve(context.stateDir, options.file), key, options.key_id);
}

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
    kind: manifest.kind,
    async read({ path: secretPath, field, version, signal }): Promise<StaticSecret> {
      signal.throwIfAborted();
      let sealed: SealedFile;
      try {
        sealed = await current();
      } catch (err) {
        throw storeUnreadable(err);
      }
      const entry = Object.hasOwn(sealed.entries, secretPath) ? sealed.entries[secretPath] : undefined;
      if (entry === undefined || (version !== undefined && String(entry.version) !== version)) {
        throw new AdapterError('not_found', 'no such local secret');
      }
      let value: SecretPayload;
      try {
        value = openEntry(key, secretPath, entry);
      } catch (err) {
        throw entryTampered(err);
      }
      if (field !== undefined) {
        if (typeof value === 'string') throw new AdapterError('not_found', 'a field was requested but the secret is a plain string');
        return { value: selectField(value, field), version: String(entry.version) };
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
