/**
 * `crefgate audit export`: writes a self-contained bundle for offline verification. For each log: the canonical
 * event lines of the range (optionally one tenant's), its checkpoints, the proofs that tie the lines to the
 * checkpoints, and the published keys; then a manifest with every file's SHA-256, signed as a note.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { canonicalJson } from '../../envelope/canonical.ts';
import { BUNDLE_FORMAT, KEYS_FILE, MANIFEST_NOTE, type BundleKey, type BundleProofs, type Manifest, type ManifestLog } from './bundle_format.ts';
import { parseCheckpointText } from '../log/checkpoint.ts';
import { readPublishedKeys } from '../log/published_keys.ts';
import { checkpointsPath, logSegments, publicKeysPath, readLines } from '../log/log_files.ts';
import { MerkleTree, leafHash } from '../log/merkle.ts';
import { hex8, parseNote, signNote, verifierKeyString, type NoteSigner } from '../log/note.ts';
import { toOcsf } from './ocsf.ts';

export interface ExportOptions {
  /** Active paths of the logs to export (one per replica). */
  logs: string[];
  out: string;
  since?: string | undefined;
  until?: string | undefined;
  tenant?: string | undefined;
  format: 'ndjson' | 'ocsf';
  /** Signs the manifest. */
  signer: NoteSigner;
  now?: () => number;
}

/** Writes the bundle and returns its manifest. */
export async function exportBundle(options: ExportOptions): Promise<Manifest> {
  await mkdir(options.out, { recursive: true });
  const files: Record<string, string> = {};
  const put = async (rel: string, text: string): Promise<void> => {
    await mkdir(path.dirname(path.join(options.out, rel)), { recursive: true });
    await writeFile(path.join(options.out, rel), text);
    files[rel] = createHash('sha256').update(text).digest('hex');
  };
  const keys: BundleKey[] = [];
  const logs: ManifestLog[] = [];
  const ocsf: string[] = [];
  for (const [i, log] of options.logs.entries()) {
    const dir = `logs/${i}`;
    const result = await exportLog(log, options);
    await put(`${dir}/events.ndjson`, result.lines.map((l) => `${l}\n`).join(''));
    await put(`${dir}/checkpoints.ndjson`, result.checkpoints.map((n) => `${canonicalJson({ note: n })}\n`).join(''));
    await put(`${dir}/proofs.json`, `${JSON.stringify(result.proofs)}\n`);
    for (const key of await readPublishedKeys(publicKeysPath(log)).catch(() => [])) keys.push({ origin: result.origin, ...key, role: 'checkpoint' });
    if (options.format === 'ocsf') ocsf.push(...result.lines.map((l) => JSON.stringify(toOcsf(l))));
    logs.push({ ...result.summary, dir });
  }
  keys.push({ origin: options.signer.name, vkey: verifierKeyString(options.signer), key_id: hex8(options.signer.keyId), role: 'export' });
  await put(KEYS_FILE, `${JSON.stringify({ keys }, null, 2)}\n`);
  if (options.format === 'ocsf') await put('ocsf.ndjson', ocsf.map((l) => `${l}\n`).join(''));
  const manifest: Manifest = {
    format: BUNDLE_FORMAT,
    created: new Date((options.now ?? Date.now)()).toISOString(),
    since: options.since ?? null,
    until: options.until ?? null,
    tenant: options.tenant ?? null,
    event_format: options.format,
    logs,
    files,
  };
  await writeFile(path.join(options.out, MANIFEST_NOTE), signNote(`${canonicalJson(manifest)}\n`, [options.signer]));
  return manifest;
}

async function exportLog(log: string, options: ExportOptions) {
  const all: string[] = [];
  for await (const line of readLines(await logSegments(log))) if (line.complete) all.push(line.text);
  const tree = new MerkleTree(all.map((l) => leafHash(l)));
  const events = all.map((text) => JSON.parse(text) as { seq: number; time: string; tenant?: string; origin: string });
  const origin = events[0]?.origin ?? path.basename(log);
  const since = options.since === undefined ? -Infinity : Date.parse(options.since);
  const until = options.until === undefined ? Infinity : Date.parse(options.until);
  const inTime = events.filter((e) => Date.parse(e.time) >= since && Date.parse(e.time) < until).map((e) => e.seq);
  // Loops, not Math.min(...inTime): a whole log's worth of arguments overflows the stack.
  const first = inTime.length === 0 ? all.length : inTime.reduce((a, b) => Math.min(a, b));
  const end = inTime.length === 0 ? all.length : inTime.reduce((a, b) => Math.max(a, b)) + 1;
  const filtered = options.tenant !== undefined;
  const held = filtered ? events.slice(first, end).filter((e) => e.tenant === options.tenant).map((e) => e.seq) : range(first, end);

  const notes = (await readFile(checkpointsPath(log), 'utf8').catch(() => ''))
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => (JSON.parse(l) as { note: string }).note);
  const sizeOf = (note: string) => parseCheckpointText(parseNote(note).text).size;
  // The checkpoints that attest the range: those inside it and the first one past its end.
  const after = notes.find((n) => sizeOf(n) >= end && sizeOf(n) <= all.length);
  // Every copy of those checkpoints goes along: a witness-cosigned copy is what `verify --witness-key` needs.
  const checkpoints = notes.filter((n) => (sizeOf(n) > first && sizeOf(n) < end) || (after !== undefined && sizeOf(n) === sizeOf(after)));
  const sizes = [...new Set(checkpoints.map(sizeOf))];
  const proofs: BundleProofs = {
    prefix: { size: first, hashes: filtered ? [] : prefixFrontier(tree, first) },
    consistency: sizes.slice(1).map((to, k) => ({ from: sizes[k]!, to, proof: hexes(tree.consistencyProof(sizes[k]!, to)) })),
    tail: after === undefined || filtered ? undefined : { from: end, to: sizeOf(after), proof: hexes(tree.consistencyProof(end, sizeOf(after))) },
    inclusion: [],
  };
  if (filtered) {
    const last = sizes.reduce((a, b) => Math.max(a, b), 0);
    for (const seq of held) if (seq < last) proofs.inclusion.push({ seq, size: last, proof: hexes(tree.inclusionProof(seq, last)) });
  }
  const keyIds = [...new Set(checkpoints.flatMap((n) => parseNote(n).signatures.map((s) => hex8(s.keyId))))];
  const summary = { origin, first_seq: first, end_seq: end, events: held.length, filtered, checkpoints: checkpoints.length, key_ids: keyIds };
  return { origin, lines: held.map((seq) => all[seq]!), checkpoints, proofs, summary };
}

/** Roots of the perfect subtrees that make up the first `size` leaves, largest first. */
function prefixFrontier(tree: MerkleTree, size: number): string[] {
  const hashes: string[] = [];
  let from = 0;
  for (let bit = 2 ** Math.floor(Math.log2(Math.max(size, 1))); bit >= 1; bit /= 2) {
    if (size - from >= bit) {
      hashes.push(tree.rangeHash(from, from + bit).toString('hex'));
      from += bit;
    }
  }
  return hashes;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
}

function hexes(list: Buffer[]): string[] {
  return list.map((b) => b.toString('hex'));
}
