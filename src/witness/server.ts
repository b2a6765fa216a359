/**
 * `crefgate witness`: a C2SP tlog-witness. It knows a list of logs (origin and checkpoint keys), remembers the
 * latest checkpoint it cosigned for each, and cosigns a submitted checkpoint only when a consistency proof shows
 * it extends that one. It answers 404 for an unknown origin, 403 when no trusted signature verifies, 400 for a
 * malformed request or an old size past the checkpoint, 409 (body: its latest size, `text/x.tlog.size`) when the
 * old size is not its latest or the same size comes with another root, and 422 when the proof fails. So it never
 * rolls back and never follows a fork. It runs off the gateway's host, with its own key and state.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseCheckpointText, type Checkpoint } from '../audit/log/checkpoint.ts';
import { EMPTY_ROOT, verifyConsistency } from '../audit/log/merkle.ts';
import { parseNote, verifyNote, type NoteSigner, type NoteVerifier } from '../audit/log/note.ts';
import { cosign } from '../audit/log/cosignature.ts';
import { parseAddCheckpoint } from '../audit/log/witness_request.ts';
import type { WitnessState } from './state.ts';

const MAX_BODY = 64 * 1024;

export interface WitnessOptions {
  signer: NoteSigner;
  /** Checkpoint keys of the logs it witnesses; a key's name is its log's origin. */
  logs: NoteVerifier[];
  state: WitnessState;
  now?: () => number;
  /** Where refusals are told (the spec: a refused but validly signed checkpoint may be evidence of misbehaviour). */
  log?: (line: string) => void;
}

class Refusal extends Error {
  readonly status: number;
  readonly body: string;
  readonly type: string;

  constructor(status: number, message: string, body = `${message}\n`, type = 'text/plain; charset=utf-8') {
    super(message);
    this.status = status;
    this.body = body;
    this.type = type;
  }
}

/** The witness's HTTP server (not yet listening). */
export function createWitnessServer(options: WitnessOptions): Server {
  const now = options.now ?? Date.now;
  const log = options.log ?? (() => undefined);
  return createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      const refusal = err instanceof Refusal ? err : new Refusal(500, 'internal error');
      if (!(err instanceof Refusal)) log(`witness: internal error: ${(err as Error).message}`);
      reply(res, refusal.status, refusal.body, refusal.type);
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.url !== '/add-checkpoint') throw new Refusal(404, 'not found');
    if (req.method !== 'POST') throw new Refusal(405, 'method not allowed');
    const body = await readBody(req);
    let request: ReturnType<typeof parseAddCheckpoint>;
    let text: string;
    let checkpoint: Checkpoint;
    try {
      request = parseAddCheckpoint(body);
      text = parseNote(request.note).text;
      checkpoint = parseCheckpointText(text);
    } catch (err) {
      throw new Refusal(400, `malformed request: ${(err as Error).message}`);
    }
    const keys = options.logs.filter((k) => k.name === checkpoint.origin);
    if (keys.length === 0) throw new Refusal(404, `unknown log origin ${checkpoint.origin}`);
    try {
      if (verifyNote(request.note, keys).verifiedBy.length === 0) throw new Error('no signature by a key of this log');
    } catch (err) {
      throw new Refusal(403, `checkpoint signature: ${(err as Error).message}`);
    }
    if (request.oldSize > checkpoint.size) throw new Refusal(400, `old size ${request.oldSize} is past the checkpoint size ${checkpoint.size}`);
    const line = await options.state.exclusive(checkpoint.origin, async (latest, save) => {
      const latestSize = latest?.size ?? 0;
      if (request.oldSize !== latestSize) {
        throw new Refusal(409, `old size ${request.oldSize} is not the latest cosigned size ${latestSize}`, `${latestSize}\n`, 'text/x.tlog.size');
      }
      const latestRoot = latest === undefined ? EMPTY_ROOT : Buffer.from(latest.root, 'base64');
      if (request.oldSize === checkpoint.size) {
        if (request.proof.length > 0) throw new Refusal(400, 'a proof between equal sizes must be empty');
        if (!latestRoot.equals(checkpoint.root)) {
          log(`witness: FORK of ${checkpoint.origin}: size ${checkpoint.size} with another root than the one cosigned`);
          throw new Refusal(409, `size ${checkpoint.size} was cosigned with another root (fork)`, `${latestSize}\n`, 'text/x.tlog.size');
        }
      } else if (request.oldSize === 0) {
        if (request.proof.length > 0) throw new Refusal(400, 'the proof from size 0 must be empty');
      } else if (!verifyConsistency(request.oldSize, checkpoint.size, latestRoot, checkpoint.root, request.proof)) {
        log(`witness: ${checkpoint.origin}: size ${checkpoint.size} is not consistent with the cosigned size ${latestSize} (fork or rewrite)`);
        throw new Refusal(422, `checkpoint ${checkpoint.size} is not consistent with the cosigned checkpoint ${latestSize}`);
      }
      const line = cosign(text, options.signer, Math.floor(now() / 1000));
      await save({ origin: checkpoint.origin, size: checkpoint.size, root: checkpoint.root.toString('base64'), note: request.note + line });
      return line;
    });
    reply(res, 200, line, 'text/plain; charset=utf-8');
  }
}

/** Listens on host:port (0 picks a free port) and resolves to the bound address. */
export async function listen(server: Server, host: string, port: number): Promise<AddressInfo> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server.address() as AddressInfo;
}

function reply(res: ServerResponse, status: number, body: string, type: string): void {
  if (res.headersSent) return void res.end();
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(body);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new Refusal(413, 'request too large');
    chunks.push(chunk as Buffer);
  }
  const buf = Buffer.concat(chunks);
  const text = buf.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(buf)) throw new Refusal(400, 'malformed request: not UTF-8');
  return text;
}
