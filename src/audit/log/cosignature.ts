/**
 * C2SP tlog-cosignature/v1 with Ed25519 (signature type 0x04): a witness signs `cosignature/v1\ntime <POSIX
 * seconds>\n` followed by the whole checkpoint text, and its note signature is base64(key id ‖ u64 timestamp ‖
 * Ed25519 signature). The key id is SHA-256(name ‖ 0x0A ‖ 0x04 ‖ public key)[:4], so a witness key never matches
 * a log key of the same name, and a cosignature can never pass as the log's own signature.
 */
import { sign, verify } from 'node:crypto';
import { ed25519KeyId, hex8, parseNote, parseVerifierKey, rawPublicKey, type NoteSigner, type NoteVerifier } from './note.ts';

export const COSIGNATURE_TYPE = 0x04;
const SIG_PREFIX = '\u2014 ';

function message(checkpointText: string, timeSec: number): Buffer {
  return Buffer.from(`cosignature/v1\ntime ${timeSec}\n${checkpointText}`, 'utf8');
}

/** A witness signer: the key id is computed for the cosignature type. */
export function cosignerOf(signer: NoteSigner): NoteSigner {
  return { ...signer, keyId: ed25519KeyId(signer.name, rawPublicKey(signer.privateKey), COSIGNATURE_TYPE) };
}

/** The witness's verifier key `<name>+<hex id>+<base64(0x04 ‖ key)>`, what logs and auditors pin. */
export function cosignerKeyString(signer: NoteSigner): string {
  const material = Buffer.concat([Buffer.of(COSIGNATURE_TYPE), rawPublicKey(signer.privateKey)]);
  return `${signer.name}+${hex8(ed25519KeyId(signer.name, rawPublicKey(signer.privateKey), COSIGNATURE_TYPE))}+${material.toString('base64')}`;
}

/** Parses a witness verifier key (type 0x04). */
export function parseCosignerKey(vkey: string): NoteVerifier {
  return parseVerifierKey(vkey, COSIGNATURE_TYPE);
}

/** The note signature line of a cosignature on `checkpointText` at `timeSec`. */
export function cosign(checkpointText: string, signer: NoteSigner, timeSec: number): string {
  if (!Number.isSafeInteger(timeSec) || timeSec < 0) throw new RangeError('cosignature time must be a non-negative integer');
  const cosigner = cosignerOf(signer);
  const blob = Buffer.alloc(12);
  blob.writeUInt32BE(cosigner.keyId, 0);
  blob.writeBigUInt64BE(BigInt(timeSec), 4);
  const sig = sign(null, message(checkpointText, timeSec), signer.privateKey);
  return `${SIG_PREFIX}${signer.name} ${Buffer.concat([blob, sig]).toString('base64')}\n`;
}

export interface Cosignature {
  witness: NoteVerifier;
  /** POSIX seconds the witness put in its cosignature. */
  time: number;
}

/**
 * The valid cosignatures on `note` by `witnesses`. Lines by other keys are ignored; a line whose name and key id
 * match a witness but that does not verify rejects the whole note (C2SP signed-note), so a copied or edited
 * cosignature is named, never skipped.
 */
export function verifyCosignatures(note: string, witnesses: NoteVerifier[]): Cosignature[] {
  const { text, signatures } = parseNote(note);
  const found: Cosignature[] = [];
  for (const sig of signatures) {
    const witness = witnesses.find((w) => w.name === sig.name && w.keyId === sig.keyId);
    if (witness === undefined) continue;
    if (sig.signature.length !== 8 + 64) throw new Error(`cosignature by ${sig.name}+${hex8(sig.keyId)} has the wrong length`);
    const time = sig.signature.readBigUInt64BE(0);
    if (time > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`cosignature by ${sig.name} has an impossible time`);
    if (!verify(null, message(text, Number(time)), witness.publicKey, sig.signature.subarray(8))) {
      throw new Error(`cosignature by known witness ${sig.name}+${hex8(sig.keyId)} does not verify`);
    }
    found.push({ witness, time: Number(time) });
  }
  return found;
}
