/**
 * Turns a gateway event into its audit line: RFC 8785 canonical JSON with the trail's own fields. Sensitive
 * values are replaced by keyed HMACs here, at `record()` time, so clear values never sit in the queue.
 */
import { createHash, randomUUID } from 'node:crypto';
import { canonicalJson } from '../envelope/canonical.ts';
import type { AuditEventInput } from './contract.ts';
import type { AuditHasher } from './hmac_keys.ts';

/** Format version of an audit line. */
export const LINE_VERSION = 1;
/** `prev` of the very first event of a log. */
export const GENESIS_PREV = '0'.repeat(64);

/** An event ready for sequencing: everything but seq and prev. */
export type PreparedEvent = Record<string, unknown> & { event_id: string; time: string };

/** Hex SHA-256 of a line's UTF-8 bytes (without its newline): the `prev` of the line after it. */
export function lineHash(line: string): string {
  return createHash('sha256').update(line, 'utf8').digest('hex');
}

/** Copies the input, drops undefined fields and hashes `sensitive` values under the tenant's key. */
export function prepareEvent(input: AuditEventInput, hasher: AuditHasher, nowMs: number): PreparedEvent {
  const event: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined || key === 'sensitive') continue;
    event[key] = key === 'actor' ? stripUndefined(value as object) : value;
  }
  if (input.sensitive !== undefined) {
    const hashed: Record<string, string> = {};
    for (const [name, value] of Object.entries(input.sensitive)) hashed[name] = hasher.hash(input.tenant, value);
    event.sensitive = hashed;
  }
  event.event_id = randomUUID();
  event.time = new Date(nowMs).toISOString();
  // Fail at record() rather than inside a batch: one unrepresentable event must not sink its neighbours.
  canonicalJson(event);
  return event as PreparedEvent;
}

/** The canonical line of a prepared event at a position of the chain. */
export function sequenceLine(event: PreparedEvent, origin: string, seq: number, prev: string): string {
  return canonicalJson({ ...event, v: LINE_VERSION, origin, seq, prev });
}

function stripUndefined(value: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) if (field !== undefined) out[key] = field;
  return out;
}
