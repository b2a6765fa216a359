/**
 * Turns a gateway event into its audit line: RFC 8785 canonical JSON with the trail's own fields. Sensitive
 * values are replaced by keyed HMACs here, at `record()` time, so clear values never sit in the queue.
 */
import { randomUUID } from 'node:crypto';
import { canonicalJson } from '../../envelope/canonical.ts';
import type { AuditEventInput } from '../contract.ts';
import type { AuditHasher } from './hmac_keys.ts';
import type { PreparedEvent } from '../log/line.ts';

// The line format lives with the primitives; re-exported so writers keep one import.
export { GENESIS_PREV, LINE_VERSION, lineHash, sequenceLine, type PreparedEvent } from '../log/line.ts';

/** Top-level names the chain sets itself; an event's own member of the same name gives way, as before. */
const CHAIN_FIELDS = new Set(['v', 'origin', 'seq', 'prev']);

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
  const eventId = randomUUID();
  const time = new Date(nowMs).toISOString();
  event.event_id = eventId;
  event.time = time;
  // Canonical text is made here, at record(), so one unrepresentable event fails alone instead of sinking its batch.
  const members = Object.keys(event)
    .filter((name) => !CHAIN_FIELDS.has(name))
    .sort()
    .map((name) => [name, `${canonicalJson(name)}:${canonicalJson(event[name])}`] as const);
  return { event_id: eventId, time, members };
}

function stripUndefined(value: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) if (field !== undefined) out[key] = field;
  return out;
}
