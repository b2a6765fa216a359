/**
 * The request-token key rotation procedure, config-driven. A key is published (`next`) before it signs, so
 * every executor that caches the JWKS already knows it when the first token signed by it arrives; the key it
 * replaces stays published (`previous`) so tokens it signed keep verifying until their natural expiry (≤ 5
 * minutes). One rotation step: previous is retired (dropped), current becomes previous, next becomes current,
 * and a freshly generated key becomes next. Roll the new config out to every replica, then wait one token
 * lifetime plus the JWKS cache time before the following step.
 */
import type { KeySpec } from './keyring.ts';

export interface RotationPlan {
  keys: KeySpec[];
  /** Files whose keys no longer verify anything after this step (safe to delete once rolled out). */
  retired: string[];
}

/** The `tokens.keys` list after one rotation step, given the file of a newly generated `next` key. */
export function rotateKeySpecs(keys: KeySpec[], newNextFile: string): RotationPlan {
  const current = keys.filter((k) => k.status === 'current');
  const next = keys.filter((k) => k.status === 'next');
  if (current.length !== 1) throw new Error('rotation needs exactly one current key');
  if (next.length > 1) throw new Error('rotation needs at most one next key');
  if (keys.some((k) => k.file === newNextFile)) throw new Error(`${newNextFile} is already in the keyring`);
  const retired = keys.filter((k) => k.status === 'previous').map((k) => k.file);
  const promoted = next[0];
  if (promoted === undefined) {
    // Nothing pre-published yet: publish the new key first; signing stays with the current key this step.
    return { keys: [...current, { file: newNextFile, status: 'next' }], retired };
  }
  return {
    keys: [
      { ...promoted, status: 'current' },
      { ...current[0]!, status: 'previous' },
      { file: newNextFile, status: 'next' },
    ],
    retired,
  };
}
