/** Response helpers for the Vault emulator: Vault's JSON envelope and its `{"errors":[…]}` error bodies. */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** What a handler needs to know about one request, already parsed. */
export interface VaultRequest {
  method: string;
  /** Path after `/v1/`, without the query string, percent-decoded per segment. */
  path: string;
  query: URLSearchParams;
  namespace: string;
  token: string | undefined;
  body: Record<string, unknown>;
}

/** A handler's answer: status plus JSON body, or 204 with none. */
export interface VaultReply {
  status: number;
  body?: unknown;
}

/** Vault's envelope around `data` for a logical response. */
export function logical(data: unknown, extra: Record<string, unknown> = {}): VaultReply {
  return {
    status: 200,
    body: {
      request_id: randomUUID(),
      lease_id: '',
      renewable: false,
      lease_duration: 0,
      data,
      wrap_info: null,
      warnings: null,
      auth: null,
      ...extra,
    },
  };
}

/** An error answer the way Vault shapes it. */
export function vaultError(status: number, ...errors: string[]): VaultReply {
  return { status, body: { errors } };
}

export const noContent: VaultReply = { status: 204 };

export const permissionDenied = (): VaultReply => vaultError(403, 'permission denied');

/** Reads a JSON object body (Vault ignores an empty one). */
export async function readJsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('body must be an object');
  return parsed as Record<string, unknown>;
}

/** Writes a reply with Vault's headers. */
export function send(res: ServerResponse, reply: VaultReply): void {
  res.setHeader('Cache-Control', 'no-store');
  if (reply.body === undefined) {
    res.writeHead(reply.status).end();
    return;
  }
  const text = JSON.stringify(reply.body);
  res.writeHead(reply.status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) }).end(text);
}

/** Vault timestamps: RFC 3339 with nanosecond-looking precision. */
export const rfc3339 = (ms: number): string => new Date(ms).toISOString().replace('Z', '000000Z');
