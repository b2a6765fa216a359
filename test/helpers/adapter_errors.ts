/** The one assertion for adapter failures: an AdapterError of the expected kind, always at step `backend`. */
import assert from 'node:assert/strict';
import { AdapterError } from '../../adapters/contract.ts';

/** Awaits a rejection and checks it is an AdapterError of `kind` (and, if given, that its reason matches). */
export async function rejectsKind(promise: Promise<unknown>, kind: AdapterError['kind'], reason?: RegExp): Promise<AdapterError> {
  let err: unknown;
  try {
    await promise;
  } catch (caught) {
    err = caught;
  }
  assert.ok(err !== undefined, `expected AdapterError(${kind}), but it resolved`);
  assert.ok(err instanceof AdapterError, `expected AdapterError(${kind}), got ${String(err)}`);
  assert.equal(err.kind, kind, `reason: ${err.reason}`);
  assert.equal(err.step, 'backend');
  if (reason !== undefined) assert.match(err.reason, reason);
  return err;
}
