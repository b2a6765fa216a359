/**
 * Checkpoints in the C2SP tlog-checkpoint format: `<origin>\n<size>\n<base64 root>\n` plus one extension line
 * `time <RFC 3339>` (when it was signed, so a verifier can check signing-key windows and that time moves forward),
 * signed as a note.
 */
import { signNote, type NoteSigner } from './note.ts';

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

/** Parses the text of a checkpoint note (already split from its signatures). */
export function parseCheckpointText(text: string): Checkpoint {
  const lines = text.split('\n');
  const [origin, sizeText, rootText] = lines;
  if (origin === undefined || origin === '' || !/^(0|[1-9]\d{0,15})$/.test(sizeText ?? '')) throw new Error('malformed checkpoint');
  const root = Buffer.from(rootText ?? '', 'base64');
  if (root.length !== 32) throw new Error('malformed checkpoint root');
  const timeLine = lines.slice(3).find((l) => l.startsWith('time '));
  const time = timeLine === undefined ? undefined : Date.parse(timeLine.slice(5));
  return { origin, size: Number(sizeText), root, time: Number.isNaN(time) ? undefined : time };
}
