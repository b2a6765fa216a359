/**
 * Executors declared in config are registered on start-up if absent. An existing record is left alone (its
 * secret may have been rotated, or it may have been disabled, through the admin API since): config seeds, the
 * registry rules. A difference is reported so that an operator is not surprised.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ExecutorConfig } from '../config/schema.ts';
import type { StateStore } from '../state/contract.ts';
import { versionFor } from './secrets.ts';

/** Reads a base64url HMAC secret file; at least 32 bytes. */
export async function readHmacSecret(file: string): Promise<Buffer> {
  const secret = Buffer.from((await readFile(file, 'utf8')).trim(), 'base64url');
  if (secret.length < 32) throw new Error(`${file}: HMAC secret must be at least 32 bytes, base64url`);
  return secret;
}

export async function seedExecutors(executors: ExecutorConfig[], state: StateStore, baseDir: string, now: number, warn: (message: string) => void): Promise<void> {
  for (const executor of executors) {
    const secret = await readHmacSecret(path.resolve(baseDir, executor.hmac_secret_file));
    const created = await state.executors.register({
      id: executor.id,
      tenant: executor.tenant,
      identities: executor.identities,
      allowedCrefs: executor.allowed_crefs,
      enabled: true,
      createdAt: now,
      secrets: [versionFor(secret, now)],
      graceMs: executor.grace_seconds * 1000,
    });
    if (!created) {
      const existing = await state.executors.get(executor.id);
      const same = existing !== undefined && existing.tenant === executor.tenant &&
        JSON.stringify(existing.allowedCrefs) === JSON.stringify(executor.allowed_crefs) &&
        JSON.stringify(existing.identities) === JSON.stringify(executor.identities);
      if (!same) warn(`executor ${executor.id} already registered; its registry record differs from config and is kept`);
    }
  }
}
