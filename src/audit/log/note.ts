/**
 * C2SP signed-note (https://c2sp.org/signed-note) with Ed25519 keys (signature type 0x01). A note is text ending
 * in a newline, a blank line, then lines `— <key name> <base64(key id ‖ signature)>`. The key id is the first four
 * bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key); a verifier key is `<name>+<hex key id>+<base64(0x01 ‖ key)>`.
 */
import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

const ED25519 = 0x01;
const SIG_PREFIX = '\u2014 ';
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** Most signatures a note may carry (the spec asks verifiers to accept at least 16). */
export const MAX_NOTE_SIGNATURES = 64;

// C2SP signed-note: no ASCII control character but newline. DEL and the C1 range are refused too: no note this
// gateway signs or verifies holds them, and they can hide text from a human reading a note in a terminal.
// biome-ignore lint/suspicious/noControlCharactersInRegex: the control range is what this refuses
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;
// A key name is non-empty and holds no Unicode space and no '+'.
const KEY_NAME = /^[^\s+]+$/u;

export interface NoteSigner {
  name: string;
  keyId: number;
  privateKey: KeyObject;
}

export interface NoteVerifier {
  name: string;
  keyId: number;
  publicKey: KeyObject;
}

export interface NoteSignature {
  name: string;
  keyId: number;
  signature: Buffer;
}

export function ed25519KeyId(name: string, publicKey: Buffer, type = ED25519): number {
  return createHash('sha256').update(name).update(Buffer.of(0x0a, type)).update(publicKey).digest().readUInt32BE(0);
}

/** Raw 32-byte public key of an Ed25519 key object. */
export function rawPublicKey(key: KeyObject): Buffer {
  const spki = createPublicKey(key).export({ type: 'spki', format: 'der' });
  return spki.subarray(spki.length - 32);
}

/** A signer for `name` from a PKCS#8 PEM private key. */
export function signerFromPem(name: string, pem: string | Buffer): NoteSigner {
  const privateKey = createPrivateKey(pem);
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error('checkpoint keys must be Ed25519');
  return { name, keyId: ed25519KeyId(name, rawPublicKey(privateKey)), privateKey };
}

/** A signer from a 32-byte Ed25519 seed (the form of Go's `PRIVATE+KEY+…` strings). */
export function signerFromSeed(name: string, seed: Buffer): NoteSigner {
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  return { name, keyId: ed25519KeyId(name, rawPublicKey(privateKey)), privateKey };
}

/** The verifier key string of a signer, as published and pinned. */
export function verifierKeyString(signer: NoteSigner | NoteVerifier): string {
  const pub = 'publicKey' in signer ? rawPublicKey(signer.publicKey) : rawPublicKey(signer.privateKey);
  return `${signer.name}+${hex8(signer.keyId)}+${Buffer.concat([Buffer.of(ED25519), pub]).toString('base64')}`;
}

/**
 * Parses `<name>+<hex id>+<base64(type ‖ key)>`, checking that the id matches the key. `type` is 0x01 for note
 * signatures, 0x04 for tlog-cosignature witness keys (src/audit/log/cosignature.ts).
 */
export function parseVerifierKey(vkey: string, type = ED25519): NoteVerifier {
  const first = vkey.indexOf('+');
  const second = vkey.indexOf('+', first + 1);
  if (first <= 0 || second < 0) throw new Error('malformed verifier key');
  const name = vkey.slice(0, first);
  const idHex = vkey.slice(first + 1, second);
  const b64 = vkey.slice(second + 1);
  if (!KEY_NAME.test(name) || !isCanonicalBase64(b64)) throw new Error('malformed verifier key');
  const material = Buffer.from(b64, 'base64');
  if (!/^[0-9a-f]{8}$/.test(idHex) || material.length !== 33 || material[0] !== type) throw new Error('unsupported verifier key');
  const raw = material.subarray(1);
  const keyId = ed25519KeyId(name, raw, type);
  if (hex8(keyId) !== idHex) throw new Error('verifier key id does not match its key');
  const publicKey = createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, raw]), format: 'der', type: 'spki' });
  return { name, keyId, publicKey };
}

/** Signs `text` (which must end in a newline) with each signer. */
export function signNote(text: string, signers: NoteSigner[]): string {
  if (!text.endsWith('\n') || text.includes('\n\n') === true) throw new Error('note text must end in one newline and hold no blank line');
  if (CONTROL.test(text) || signers.some((s) => !KEY_NAME.test(s.name))) throw new Error('note text or key name not allowed by the signed-note format');
  const lines = signers.map((s) => {
    const id = Buffer.alloc(4);
    id.writeUInt32BE(s.keyId);
    const sig = sign(null, Buffer.from(text, 'utf8'), s.privateKey);
    return `${SIG_PREFIX}${s.name} ${Buffer.concat([id, sig]).toString('base64')}\n`;
  });
  return `${text}\n${lines.join('')}`;
}

/** Whether `text` is standard base64 (RFC 4648 §4) in its one canonical form: padded, no trailing bits. */
export function isCanonicalBase64(text: string): boolean {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return false;
  return Buffer.from(text, 'base64').toString('base64') === text;
}

/** Splits a note into its text and signatures; throws on a note that is not exactly a C2SP signed note. */
export function parseNote(note: string): { text: string; signatures: NoteSignature[] } {
  if (!note.isWellFormed()) throw new Error('malformed note: not valid UTF-8');
  if (CONTROL.test(note)) throw new Error('malformed note: control character');
  // The text is separated from the signatures by the last blank line.
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) throw new Error('malformed note');
  const text = note.slice(0, split + 1);
  const block = note.slice(split + 2, -1);
  if (block === '') throw new Error('malformed note: no signature');
  const lines = block.split('\n');
  if (lines.length > MAX_NOTE_SIGNATURES) throw new Error(`malformed note: more than ${MAX_NOTE_SIGNATURES} signatures`);
  const signatures = lines.map((line) => {
    if (!line.startsWith(SIG_PREFIX)) throw new Error('malformed note signature line');
    const parts = line.slice(SIG_PREFIX.length).split(' ');
    const [name, b64] = parts;
    if (parts.length !== 2 || name === undefined || !KEY_NAME.test(name)) throw new Error('malformed note signature line: key name');
    if (b64 === undefined || !isCanonicalBase64(b64)) throw new Error('malformed note signature line: non-canonical base64');
    const blob = Buffer.from(b64, 'base64');
    if (blob.length < 5) throw new Error('malformed note signature line: too short');
    return { name, keyId: blob.readUInt32BE(0), signature: blob.subarray(4) };
  });
  return { text, signatures };
}

/**
 * The verifiers whose signature on the note is valid. Signatures by unknown keys (name and id not both matching a
 * verifier) are ignored, as the spec requires; a signature by a known key that fails rejects the whole note.
 */
export function verifyNote(note: string, verifiers: NoteVerifier[]): { text: string; verifiedBy: NoteVerifier[] } {
  const { text, signatures } = parseNote(note);
  const verifiedBy: NoteVerifier[] = [];
  const message = Buffer.from(text, 'utf8');
  for (const sig of signatures) {
    const verifier = verifiers.find((v) => v.name === sig.name && v.keyId === sig.keyId);
    if (verifier === undefined) continue;
    if (!verify(null, message, verifier.publicKey, sig.signature)) throw new Error(`signature by known key ${sig.name}+${hex8(sig.keyId)} does not verify`);
    if (!verifiedBy.includes(verifier)) verifiedBy.push(verifier);
  }
  return { text, verifiedBy };
}

export function hex8(keyId: number): string {
  return keyId.toString(16).padStart(8, '0');
}
