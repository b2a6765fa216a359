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

/**
 * An event ready for sequencing: everything but seq and prev, already in canonical form. `members` holds each
 * top-level member as canonical `"name":value` text, sorted by name, so sequencing only merges in the four
 * chain fields instead of canonicalising the whole event a second time (it was the top audit cost per resolve).
 */
export interface PreparedEvent {
  event_id: string;
  time: string;
  members: ReadonlyArray<readonly [name: string, text: string]>;
}

/** Top-level names the chain sets itself; an event's own member of the same name gives way, as before. */
const CHAIN_FIELDS = new Set(['v', 'origin', 'seq', 'prev']);

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

/** The canonical line of a prepared event at a position of the chain: its members with the chain fields merged in. */
export function sequenceLine(event: PreparedEvent, origin: string, seq: number, prev: string): string {
  const chain: ReadonlyArray<readonly [string, string]> = [
    ['origin', `"origin":${canonicalJson(origin)}`],
    ['prev', `"prev":${canonicalJson(prev)}`],
    ['seq', `"seq":${canonicalJson(seq)}`],
    ['v', `"v":${LINE_VERSION}`],
  ];
  const parts: string[] = [];
  let c = 0;
  for (const [name, text] of event.members) {
    // String `<` compares UTF-16 code units: the RFC 8785 member order.
    while (c < chain.length && chain[c]![0] < name) parts.push(chain[c++]![1]);
    parts.push(text);
  }
  while (c < chain.length) parts.push(chain[c++]![1]);
  return `{${parts.join(',')}}`;
}

function stripUndefined(value: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) if (field !== undefined) out[key] = field;
  return out;
}
