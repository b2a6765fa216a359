/**
 * Encryption at rest of executor HMAC secrets: AES-256-GCM under the current master key. Each ciphertext
 * carries the id of its key, so older keys still decrypt after a master-key rotation while new writes use the
 * first key. The AAD binds a ciphertext to its executor id, its kid and its key id: a sealed secret copied to
 * another executor or version fails to open instead of being accepted.
 */
import { createCipheriv, createDecipheriv, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { GatewayError } from '../../errors.ts';
import type { RedisConfig } from '../config.ts';

export interface SealedSecret {
  /** Master key id. */
  k: string;
  iv: string;
  ct: string;
  tag: string;
}

interface MasterKey {
  id: string;
  key: Buffer;
}

// Ciphers get KeyObjects: a Buffer key is first probed as KeyObject and CryptoKey, ~10 µs per call on Node 24.
interface LoadedKey {
  id: string;
  key: KeyObject;
}

const AAD_LABEL = 'crefgate/executor-hmac/v1';

/** Loads `master_keys` (file or env, 32 bytes base64 each). Throws at start-up on anything malformed. */
export function loadMasterKeys(config: RedisConfig['master_keys'], env: NodeJS.ProcessEnv, configDir: string): MasterKey[] {
  return config.map((entry) => {
    const source = entry.file !== undefined ? `file ${entry.file}` : `environment variable ${entry.env ?? ''}`;
    const text =
      entry.file !== undefined ? readFileSync(path.resolve(configDir, entry.file), 'utf8') : (env[entry.env ?? ''] ?? '');
    const key = Buffer.from(text.trim(), 'base64');
    if (key.length !== 32 || key.toString('base64') !== text.trim()) {
      throw new GatewayError('internal', { reason: `master key ${entry.key_id}: ${source} must hold 32 bytes, base64` });
    }
    return { id: entry.key_id, key };
  });
}

/** Seals and opens executor secrets. */
export class SecretBox {
  private readonly current: LoadedKey;
  private readonly byId: Map<string, LoadedKey>;

  constructor(keys: MasterKey[]) {
    const [current] = keys;
    if (current === undefined) throw new GatewayError('internal', { reason: 'no master key' });
    this.current = { id: current.id, key: createSecretKey(current.key) };
    this.byId = new Map(keys.map((k) => [k.id, k.id === current.id ? this.current : { id: k.id, key: createSecretKey(k.key) }]));
  }

  /** Encrypts `secret` of executor `executorId`, version `kid`, under the current master key. */
  seal(secret: Buffer, executorId: string, kid: string): SealedSecret {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
    cipher.setAAD(aad(this.current.id, executorId, kid));
    const ct = Buffer.concat([cipher.update(secret), cipher.final()]);
    return { k: this.current.id, iv: iv.toString('base64'), ct: ct.toString('base64'), tag: cipher.getAuthTag().toString('base64') };
  }

  /** Decrypts; a wrong or unknown key, or a ciphertext moved to another executor/kid, fails with `internal`. */
  open(sealed: SealedSecret, executorId: string, kid: string): Buffer {
    const master = this.byId.get(sealed.k);
    if (master === undefined) {
      throw new GatewayError('internal', { reason: `executor ${executorId} secret ${kid}: unknown master key ${sealed.k}` });
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', master.key, Buffer.from(sealed.iv, 'base64'), {
        authTagLength: 16,
      });
      decipher.setAAD(aad(master.id, executorId, kid));
      decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
      return Buffer.concat([decipher.update(Buffer.from(sealed.ct, 'base64')), decipher.final()]);
    } catch (err) {
      throw new GatewayError('internal', {
        reason: `executor ${executorId} secret ${kid}: cannot decrypt with master key ${sealed.k}`,
        cause: err,
      });
    }
  }
}

// JSON array encoding keeps the fields unambiguous whatever characters the ids contain.
function aad(keyId: string, executorId: string, kid: string): Buffer {
  return Buffer.from(JSON.stringify([AAD_LABEL, keyId, executorId, kid]));
}
