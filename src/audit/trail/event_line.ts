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

/** Canonical texts of member names (`"job_id":`): an event has a dozen known names; bounded all the same. */
const NAME_TEXTS = new Map<string, string>();
const MAX_NAME_TEXTS = 256;

function nameText(name: string): string {
  let text = NAME_TEXTS.get(name);
  if (text === undefined) {
    text = `${canonicalJson(name)}:`;
    if (NAME_TEXTS.size < MAX_NAME_TEXTS) NAME_TEXTS.set(name, text);
  }
  return text;
}

/**
 * Copies the input, drops undefined fields and hashes `sensitive` values under the tenant's key. Written as one
 * pass over the input's own members and one sort of their names (was entries, an object copy, filter, sort and
 * map: five arrays and a record per event on the resolve path).
 */
export function prepareEvent(input: AuditEventInput, hasher: AuditHasher, nowMs: number): PreparedEvent {
  const eventId = randomUUID();
  const time = new Date(nowMs).toISOString();
  const fields = input as unknown as Record<string, unknown>;
  const names: string[] = ['event_id', 'time'];
  for (const name in fields) {
    if (!Object.hasOwn(fields, name) || fields[name] === undefined) continue;
    // The chain's own fields and the two set here give way, as before.
    if (CHAIN_FIELDS.has(name) || name === 'event_id' || name === 'time') continue;
    names.push(name);
  }
  names.sort();
  const members = names.map((name): readonly [string, string] => {
    let value: unknown;
    if (name === 'event_id') value = eventId;
    else if (name === 'time') value = time;
    else if (name === 'sensitive') value = hashSensitive(input, hasher);
    else if (name === 'actor') value = stripUndefined(fields[name] as object);
    else value = fields[name];
    return [name, nameText(name) + canonicalJson(value)];
  });
  return { event_id: eventId, time, members };
}

function hashSensitive(input: AuditEventInput, hasher: AuditHasher): Record<string, string> {
  const hashed: Record<string, string> = {};
  for (const [name, value] of Object.entries(input.sensitive ?? {})) hashed[name] = hasher.hash(input.tenant, value);
  return hashed;
}

function stripUndefined(value: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) if (field !== undefined) out[key] = field;
  return out;
}
