/**
 * The audit line format both sides share: the format version, the genesis `prev`, the line hash that chains one
 * line to the next, and the merge of a prepared event with its chain fields into RFC 8785 canonical JSON. The
 * writer (trail/event_line.ts) prepares events; verification (verify/chain_check.ts) checks lines against this.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../../envelope/canonical.ts';

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

/** Hex SHA-256 of a line's UTF-8 bytes (without its newline): the `prev` of the line after it. */
export function lineHash(line: string): string {
  return createHash('sha256').update(line, 'utf8').digest('hex');
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
