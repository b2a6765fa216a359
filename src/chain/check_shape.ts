/**
 * Step 2, shape: strict JSON (no duplicate keys), the envelope schema (unknown members refused), the cref
 * grammar, and the payload's bytes exactly in RFC 8785 form, so that what the HMAC covers is unambiguous.
 */
import { isCanonicalJsonText } from '../envelope/canonical.ts';
import { parseCref } from '../envelope/cref.ts';
import { describeIssue, envelopeSchema } from '../envelope/schema.ts';
import { deny } from '../errors.ts';
import { StrictJsonError, parseStrictJson } from '../envelope/strict_json.ts';
import type { ResolveState } from './context.ts';

export function checkShape(state: ResolveState): void {
  let parsed: ReturnType<typeof parseStrictJson>;
  try {
    parsed = parseStrictJson(state.rawBody, ['payload']);
  } catch (err) {
    const why = err instanceof StrictJsonError ? err.message : 'invalid JSON';
    throw deny('malformed', 'shape', `body is not strict JSON: ${why}`, why);
  }
  const result = envelopeSchema.safeParse(parsed.value);
  if (!result.success) {
    const why = describeIssue(result.error);
    throw deny('malformed', 'shape', `envelope schema: ${why}`, why);
  }
  const envelope = result.data;
  // The payload's bytes as sent must already be its RFC 8785 form, checked on the parsed value (source order)
  // rather than by canonicalising the schema's output again: the schema returns its input unchanged (strict
  // objects, no defaults or transforms; test/unit/envelope_schema.test.ts holds it to that).
  const canonical = parsed.spans.payload;
  if (canonical === undefined || !isCanonicalJsonText(canonical, (parsed.value as { payload: unknown }).payload)) {
    throw deny('malformed', 'shape', 'payload is not in RFC 8785 canonical form', 'payload must be sent exactly as issued (RFC 8785 canonical JSON)');
  }
  if (envelope.payload.expires_at <= envelope.payload.issued_at) {
    throw deny('malformed', 'shape', 'payload expires_at is not after issued_at', 'payload.expires_at must be after issued_at');
  }
  state.envelope = envelope;
  state.canonicalPayload = canonical;
  // Grammar was checked by the schema; keep the parsed form for the scope step.
  state.crefs = Object.entries(envelope.payload.crefs).map(([alias, raw]) => ({
    alias,
    cref: parseCref(raw)!,
    route: undefined as never,
  }));
}
