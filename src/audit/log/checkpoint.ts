/**
 * Checkpoints in the C2SP tlog-checkpoint format: `<origin>\n<size>\n<base64 root>\n` plus one extension line
 * `time <RFC 3339>` (when it was signed, so a verifier can check signing-key windows and that time moves forward),
 * signed as a note.
 */
import { isCanonicalBase64, signNote, type NoteSigner } from './note.ts';

export interface Checkpoint {
  origin: string;
  size: number;
  root: Buffer;
  /** Milliseconds since the epoch, from the `time` extension line. */
  time: number | undefined;
}

/** The signed note of a checkpoint. */
export function signCheckpoint(checkpoint: Checkpoint, signers: NoteSigner[]): string {
  const time = checkpoint.time === undefined ? '' : `time ${new Date(checkpoint.time).toISOString()}\n`;
  return signNote(`${checkpoint.origin}\n${checkpoint.size}\n${checkpoint.root.toString('base64')}\n${time}`, signers);
}

// RFC 3339 as this gateway writes it (UTC, optional fraction); anything else is not a time this verifier trusts.
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Parses the text of a checkpoint note (already split from its signatures) exactly as C2SP tlog-checkpoint says:
 * at least three lines, none empty (extension lines included); a size in decimal without leading zeros; a root
 * that is the canonical base64 of 32 bytes. At most one `time` extension line, and it must parse: a checkpoint
 * with an unreadable time would otherwise slip past a key's validity window.
 */
export function parseCheckpointText(text: string): Checkpoint {
  if (!text.endsWith('\n')) throw new Error('malformed checkpoint: no final newline');
  const lines = text.slice(0, -1).split('\n');
  const [origin, sizeText, rootText] = lines;
  if (lines.length < 3 || lines.some((l) => l === '')) throw new Error('malformed checkpoint: fewer than three lines or an empty line');
  if (!/^(0|[1-9]\d{0,15})$/.test(sizeText!) || !Number.isSafeInteger(Number(sizeText))) throw new Error('malformed checkpoint size');
  if (!isCanonicalBase64(rootText!)) throw new Error('malformed checkpoint root: non-canonical base64');
  const root = Buffer.from(rootText!, 'base64');
  if (root.length !== 32) throw new Error('malformed checkpoint root');
  const timeLines = lines.slice(3).filter((l) => l.startsWith('time '));
  if (timeLines.length > 1) throw new Error('malformed checkpoint: more than one time line');
  let time: number | undefined;
  if (timeLines[0] !== undefined) {
    const value = timeLines[0].slice(5);
    time = RFC3339.test(value) ? Date.parse(value) : Number.NaN;
    if (Number.isNaN(time)) throw new Error('malformed checkpoint time');
  }
  return { origin: origin!, size: Number(sizeText), root, time };
}
