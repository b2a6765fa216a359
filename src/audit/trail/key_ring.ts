/**
 * Checkpoint signing keys with validity windows. The signer at a given time is every key whose window holds it
 * (two during an overlap, so verifiers pinned to either key keep working). Every key ever configured stays in the
 * published key list with its window: a verifier needs retired keys to check old checkpoints.
 */
import { readFileSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { signerFromPem, verifierKeyString, hex8, type NoteSigner } from '../log/note.ts';
import type { PublishedKey } from '../log/published_keys.ts';

interface RingKey {
  signer: NoteSigner;
  notBefore: number;
  notAfter: number;
  published: PublishedKey;
}

export class KeyRing {
  private readonly keys: RingKey[];

  constructor(name: string, keys: { pem: string | Buffer; notBefore?: string | undefined; notAfter?: string | undefined }[]) {
    this.keys = keys.map((k) => {
      const signer = signerFromPem(name, k.pem);
      return {
        signer,
        notBefore: k.notBefore === undefined ? -Infinity : Date.parse(k.notBefore),
        notAfter: k.notAfter === undefined ? Infinity : Date.parse(k.notAfter),
        published: { vkey: verifierKeyString(signer), key_id: hex8(signer.keyId), not_before: k.notBefore, not_after: k.notAfter },
      };
    });
  }

  /** Loads the configured key files (`signing_key_file` has an open window). */
  static fromFiles(name: string, files: { file: string; not_before?: string | undefined; not_after?: string | undefined }[]): KeyRing {
    return new KeyRing(
      name,
      files.map((f) => ({ pem: readFileSync(f.file), notBefore: f.not_before, notAfter: f.not_after })),
    );
  }

  get empty(): boolean {
    return this.keys.length === 0;
  }

  /** Keys allowed to sign at `time`. */
  signersAt(time: number): NoteSigner[] {
    return this.keys.filter((k) => k.notBefore <= time && time <= k.notAfter).map((k) => k.signer);
  }

  published(): PublishedKey[] {
    return this.keys.map((k) => k.published);
  }
}

/** Merges the ring's keys into the published key file, keeping keys that are no longer configured. */
export async function publishKeys(file: string, ring: KeyRing): Promise<void> {
  let existing: PublishedKey[] = [];
  try {
    existing = (JSON.parse(await readFile(file, 'utf8')) as { keys: PublishedKey[] }).keys;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const byKey = new Map(existing.map((k) => [k.vkey, k]));
  for (const key of ring.published()) byKey.set(key.vkey, key);
  const tmp = `${file}.tmp`;
  await writeFile(tmp, `${JSON.stringify({ keys: [...byKey.values()] }, null, 2)}\n`, { mode: 0o644 });
  await rename(tmp, file);
}
