/**
 * A strict JSON parser for request bodies. Written by hand because JSON.parse silently keeps the last of two
 * duplicate keys (an ambiguity an attacker can exploit between two parsers), and because the resolve step must
 * compare the payload's exact bytes with its RFC 8785 form: this parser also returns the raw text span of
 * chosen top-level members. No well-kept library does both. Grammar is RFC 8259; limits bound depth and size.
 */

export class StrictJsonError extends Error {
  constructor(message: string, position: number) {
    super(`${message} at offset ${position}`);
    this.name = 'StrictJsonError';
  }
}

export interface StrictJsonResult {
  value: unknown;
  /** Raw source text of the requested top-level members, exactly as sent. */
  spans: Record<string, string>;
}

const MAX_DEPTH = 32;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
/** Characters a string may hold as they are: anything but the quote, the backslash and controls. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: excluding the control range is the point (RFC 8259 §7)
const PLAIN_RUN = /[^"\\\u0000-\u001f]*/y;
const LITERALS: ReadonlyArray<[string, boolean | null]> = [['true', true], ['false', false], ['null', null]];

/** Parses `text`; throws StrictJsonError on any syntax error, duplicate key or excessive depth. */
export function parseStrictJson(text: string, captureTopLevel: readonly string[] = []): StrictJsonResult {
  let pos = 0;
  const spans: Record<string, string> = {};

  const fail = (message: string): never => {
    throw new StrictJsonError(message, pos);
  };
  const skipWs = (): void => {
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) pos++;
      else return;
    }
  };

  const parseString = (): string => {
    const start = pos; // at the opening quote
    let escaped = false;
    // Skip the run of plain characters in one native step; the loop below sees only what ends it.
    PLAIN_RUN.lastIndex = pos + 1;
    PLAIN_RUN.test(text);
    pos = PLAIN_RUN.lastIndex;
    for (;;) {
      const c = text.charCodeAt(pos);
      if (Number.isNaN(c)) fail('unterminated string');
      if (c === 0x22) break;
      if (c < 0x20) fail('control character in string');
      if (c === 0x5c) {
        escaped = true;
        const e = text[pos + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(pos + 2, pos + 6))) fail('bad unicode escape');
          pos += 6;
          continue;
        }
        if (e === undefined || !'"\\/bfnrt'.includes(e)) fail('bad escape');
        pos += 2;
        continue;
      }
      pos++;
    }
    pos++;
    // Without escapes the literal's content is the string. With them, the slice is a validated JSON string
    // literal and JSON.parse decodes its escapes exactly.
    return escaped ? (JSON.parse(text.slice(start, pos)) as string) : text.slice(start + 1, pos - 1);
  };

  const parseValue = (depth: number): unknown => {
    if (depth > MAX_DEPTH) fail('nesting too deep');
    skipWs();
    const c = text[pos];
    if (c === '{') return parseObject(depth);
    if (c === '[') return parseArray(depth);
    if (c === '"') return parseString();
    for (const [word, value] of LITERALS) {
      if (text.startsWith(word, pos)) {
        pos += word.length;
        return value;
      }
    }
    NUMBER.lastIndex = pos;
    const m = NUMBER.exec(text);
    if (m === null) return fail('unexpected token');
    pos += m[0].length;
    const n = Number(m[0]);
    if (!Number.isFinite(n)) fail('number out of range');
    return n;
  };

  const parseArray = (depth: number): unknown[] => {
    pos++;
    const out: unknown[] = [];
    skipWs();
    if (text[pos] === ']') {
      pos++;
      return out;
    }
    for (;;) {
      out.push(parseValue(depth + 1));
      skipWs();
      const c = text[pos++];
      if (c === ']') return out;
      if (c !== ',') fail('expected , or ]');
    }
  };

  const parseObject = (depth: number): Record<string, unknown> => {
    pos++;
    const out: Record<string, unknown> = {};
    skipWs();
    if (text[pos] === '}') {
      pos++;
      return out;
    }
    for (;;) {
      skipWs();
      if (text[pos] !== '"') fail('expected a key');
      const key = parseString();
      // Every member is an own property of `out` (even "__proto__", see below), so this finds any duplicate.
      if (Object.hasOwn(out, key)) fail(`duplicate key ${JSON.stringify(key.slice(0, 64))}`);
      skipWs();
      if (text[pos] !== ':') fail('expected :');
      pos++;
      skipWs();
      const valueStart = pos;
      const value = parseValue(depth + 1);
      if (depth === 0 && captureTopLevel.includes(key)) spans[key] = text.slice(valueStart, pos);
      // A "__proto__" key must stay a plain member, never set the prototype: defineProperty for it only,
      // plain assignment (much faster) for every other key.
      if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
      else out[key] = value;
      skipWs();
      const c = text[pos++];
      if (c === '}') return out;
      if (c !== ',') fail('expected , or }');
    }
  };

  const value = parseValue(0);
  skipWs();
  if (pos !== text.length) fail('trailing data');
  return { value, spans };
}
