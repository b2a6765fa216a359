/**
 * GET /v1/audit/stream: committed audit lines as NDJSON (default) or Server-Sent Events (`Accept:
 * text/event-stream` or `?format=sse`). Resumable: `?from_seq=N` (or, for SSE, `Last-Event-ID: N-1`) replays from
 * seq N, then follows live; without either it starts at the live head. `?tenant=T` keeps one tenant's events.
 * The caller mounts this behind the auditor role check. A consumer too slow to keep up is disconnected (it can
 * resume from its last seq) rather than buffered without bound.
 */
import { PassThrough } from 'node:stream';
import type { Context, Next } from 'koa';
import { GatewayError } from '../../errors.ts';
import type { StreamingAuditTrail } from './create_trail.ts';

const HEARTBEAT_MS = 15_000;
const MAX_BUFFERED_BYTES = 8 << 20;

/** What the stream was asked for, for the audit events of its opening and closing. */
export interface StreamRequest {
  fromSeq: number;
  tenant: string | undefined;
  format: 'ndjson' | 'sse';
}

/** Who is told of a stream's life: `opened` must succeed (it audits the read) before a line is sent. */
export interface StreamHooks {
  opened?(request: StreamRequest): Promise<void>;
  closed?(request: StreamRequest, end: { delivered: number; reason: 'client' | 'slow_consumer' | 'error' }): void;
}

/** Koa middleware factory that serves the live audit stream of `trail`. */
export function auditStreamHandler(trail: Pick<StreamingAuditTrail, 'subscribe' | 'nextSeq'>, hooks: StreamHooks = {}) {
  return async function auditStream(ctx: Context, _next: Next): Promise<void> {
    const sse = ctx.query.format === 'sse' || (ctx.query.format === undefined && ctx.accepts('application/x-ndjson', 'text/event-stream') === 'text/event-stream');
    const fromSeq = startSeq(ctx);
    const tenant = typeof ctx.query.tenant === 'string' ? ctx.query.tenant : undefined;
    const request: StreamRequest = { fromSeq: fromSeq ?? trail.nextSeq, tenant, format: sse ? 'sse' : 'ndjson' };
    await hooks.opened?.(request);
    const out = new PassThrough();
    let closed = false;
    let delivered = 0;
    let unsubscribe: (() => void) | undefined;
    const stop = (reason: 'client' | 'slow_consumer' | 'error' = 'client'): void => {
      if (closed) return;
      closed = true;
      clearInterval(heartbeat);
      unsubscribe?.();
      out.end();
      hooks.closed?.(request, { delivered, reason });
    };
    const heartbeat = setInterval(() => out.write(sse ? ': keepalive\n\n' : '\n'), HEARTBEAT_MS);
    heartbeat.unref();
    ctx.req.on('close', () => stop('client'));

    ctx.status = 200;
    ctx.type = sse ? 'text/event-stream' : 'application/x-ndjson';
    ctx.set('cache-control', 'no-store');
    ctx.set('x-accel-buffering', 'no');
    ctx.body = out;
    try {
      unsubscribe = await trail.subscribe(request.fromSeq, (line, seq) => {
        if (closed) return;
        if (tenant !== undefined && !line.includes(`"tenant":${JSON.stringify(tenant)}`)) return;
        out.write(sse ? `id: ${seq}\nevent: audit\ndata: ${line}\n\n` : `${line}\n`);
        delivered++;
        if (out.writableLength > MAX_BUFFERED_BYTES) stop('slow_consumer');
      });
      if (closed) unsubscribe();
    } catch (err) {
      stop('error');
      throw new GatewayError('unavailable', { step: 'audit', reason: `audit stream replay failed: ${(err as Error).message}`, cause: err });
    }
  };
}

function startSeq(ctx: Context): number | undefined {
  const raw = typeof ctx.query.from_seq === 'string' ? ctx.query.from_seq : undefined;
  const lastEventId = ctx.get('last-event-id');
  if (raw !== undefined) {
    if (!/^\d{1,15}$/.test(raw)) throw new GatewayError('malformed', { step: 'shape', reason: 'bad from_seq', detail: 'from_seq must be a non-negative integer' });
    return Number(raw);
  }
  if (/^\d{1,15}$/.test(lastEventId)) return Number(lastEventId) + 1;
  return undefined;
}
