/**
 * Reads a JSON request body as text, bounded: a declared length over the limit is refused before reading, and
 * a body that grows past it while streaming is cut off. Parsing is the caller's (strict_json.ts).
 */
import type { Context } from 'koa';
import { GatewayError } from '../errors.ts';
import { StrictJsonError, parseStrictJson } from './strict_json.ts';

export async function readBodyText(ctx: Context, limit: number): Promise<string> {
  const type = ctx.request.type;
  if (type !== 'application/json') throw new GatewayError('unsupported_media_type', { step: 'shape', reason: `content-type ${type || 'missing'}` });
  const declared = Number(ctx.get('content-length') || '0');
  if (declared > limit) throw new GatewayError('payload_too_large', { step: 'shape', reason: `declared body of ${declared} bytes` });
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      throw new GatewayError('payload_too_large', { step: 'shape', reason: `body over ${limit} bytes` });
    }
    chunks.push(chunk);
  }
  const buffer = Buffer.concat(chunks);
  const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  try {
    return text.decode(buffer);
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
