/**
 * Reads a JSON request body as text, bounded: a declared length over the limit is refused before reading, and
 * a body that grows past it while streaming is cut off. Parsing is the caller's (strict_json.ts).
 */
import type { IncomingMessage } from 'node:http';
import type { Context } from 'koa';
import { GatewayError } from '../errors.ts';
import { StrictJsonError, parseStrictJson } from '../envelope/strict_json.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

const prematureClose = () => Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });

/**
 * The body's bytes, from the stream's own events (an async iterator costs a promise per chunk plus end-of-stream
 * bookkeeping on every request). Past `limit` the request is destroyed, as leaving a `for await` loop over it does,
 * so the rest of an oversized body is never read.
 */
function collect(req: IncomingMessage, limit: number): Promise<Buffer> {
  if (req.readableEnded) return Promise.resolve(Buffer.alloc(0));
  if (req.destroyed) return Promise.reject(prematureClose());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (err: unknown) => {
      req.off('data', onData).off('end', onEnd).off('error', finish).off('close', onClose);
      if (err === undefined) resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
      else reject(err);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        finish(new GatewayError('payload_too_large', { step: 'shape', reason: `body over ${limit} bytes` }));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => finish(undefined);
    const onClose = () => finish(prematureClose());
    req.on('data', onData).on('end', onEnd).on('error', finish).on('close', onClose);
  });
}

export async function readBodyText(ctx: Context, limit: number): Promise<string> {
  const type = ctx.request.type;
  if (type !== 'application/json') throw new GatewayError('unsupported_media_type', { step: 'shape', reason: `content-type ${type || 'missing'}` });
  const declared = Number(ctx.get('content-length') || '0');
  if (declared > limit) throw new GatewayError('payload_too_large', { step: 'shape', reason: `declared body of ${declared} bytes` });
  const buffer = await collect(ctx.req, limit);
  try {
    return utf8.decode(buffer);
  } catch {
    throw new GatewayError('malformed', { step: 'shape', reason: 'body is not valid UTF-8', detail: 'body is not valid UTF-8' });
  }
}

/** Reads and strictly parses a JSON body. */
export async function readJson(ctx: Context, limit: number): Promise<unknown> {
  const text = await readBodyText(ctx, limit);
  try {
    return parseStrictJson(text).value;
  } catch (err) {
    const why = err instanceof StrictJsonError ? err.message : 'invalid JSON';
    throw new GatewayError('malformed', { step: 'shape', reason: `body is not strict JSON: ${why}`, detail: why });
  }
}
