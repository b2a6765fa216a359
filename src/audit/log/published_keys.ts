/**
 * The published key list (`<log>.keys.json`): every checkpoint key a log was ever signed with, with its validity
 * window. The writer (trail/key_ring.ts) merges keys into it; verifiers and bundle export read it.
 */
import { readFile } from 'node:fs/promises';

export interface PublishedKey {
  vkey: string;
  key_id: string;
  not_before?: string | undefined;
  not_after?: string | undefined;
}

/** Reads a published key file. */
export async function readPublishedKeys(file: string): Promise<PublishedKey[]> {
  return (JSON.parse(await readFile(file, 'utf8')) as { keys: PublishedKey[] }).keys;
}
