/** Assertions shared by e2e tests: a refusal's code, and the audit line's step for that request. */
import assert from 'node:assert/strict';
import { CrefgateError } from '../../src/client/index.ts';
import type { AuditLine, TestGateway } from './gateway.ts';

/** Awaits a refusal, checks its code (and HTTP status), then finds its audit line and checks the step. */
export async function refused(gw: TestGateway, promise: Promise<unknown>, code: string, step: string): Promise<AuditLine> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof CrefgateError, `expected a CrefgateError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, `code (message: ${caught.message})`);
  assert.ok(caught.status >= 400 && caught.status < 600);
  assert.ok(caught.requestId?.startsWith('req_'), 'refusals carry a request id');
  const line = await gw.auditFor(caught.requestId!);
  assert.equal(line.code, code);
  assert.equal(line.step, step, `audit step (reason: ${line.reason})`);
  assert.notEqual(line.outcome, 'granted');
  return line;
}

/** No secret value of the local store appears in the audit file or the captured logs. */
export async function assertNoSecretLeak(gw: TestGateway): Promise<void> {
  const values = await gw.secretValues();
  assert.ok(values.length >= 3);
  const audit = JSON.stringify(await gw.auditLines());
  const logs = gw.logs.join('');
  for (const value of values) {
    assert.ok(!audit.includes(value), 'a secret value reached the audit trail');
    assert.ok(!logs.includes(value), 'a secret value reached the logs');
  }
}
