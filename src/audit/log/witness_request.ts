/**
 * The body of a C2SP tlog-witness `add-checkpoint` request: `old <size>\n`, at most 63 consistency-proof lines
 * (base64 hashes), an empty line, then the checkpoint note. Parsed strictly: a witness that guesses at a sloppy
 * request could cosign something its client did not mean.
 */
import { isCanonicalBase64 } from './note.ts';

export const MAX_PROOF_LINES = 63;

export interface AddCheckpointRequest {
  oldSize: number;
  proof: Buffer[];
  /** The checkpoint as a signed note (text, blank line, signature lines). */
  note: string;
}

/** Formats a request body. */
export function formatAddCheckpoint(request: AddCheckpointRequest): string {
  return `old ${request.oldSize}\n${request.proof.map((h) => `${h.toString('base64')}\n`).join('')}\n${request.note}`;
}

/** Parses a request body; throws (the witness answers 400) on anything that is not exactly the format. */
export function parseAddCheckpoint(body: string): AddCheckpointRequest {
  const end = body.indexOf('\n\n');
  if (end < 0) throw new Error('no empty line after the old size and proof');
  const [oldLine, ...proofLines] = body.slice(0, end).split('\n');
  const old = /^old (0|[1-9]\d{0,15})$/.exec(oldLine ?? '');
  if (old === null || !Number.isSafeInteger(Number(old[1]))) throw new Error('malformed old size line');
  if (proofLines.length > MAX_PROOF_LINES) throw new Error(`more than ${MAX_PROOF_LINES} consistency proof lines`);
  const proof = proofLines.map((line) => {
    if (!isCanonicalBase64(line) || line.length !== 44) throw new Error('malformed consistency proof line');
    return Buffer.from(line, 'base64');
  });
  return { oldSize: Number(old[1]), proof, note: body.slice(end + 2) };
}
