/**
 * The attack scenarios of DESIGN.md, each stopped at its named step (asserted from the audit line), and the
 * legitimate envelope still usable afterwards where the attack must not burn its nonce.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { envelopeBody, type CrefgateClient, type Envelope } from '../../src/client/index.ts';
import { assertNoSecretLeak, refused } from '../helpers/assertions.ts';
import { claimsFor, retag, signWithGatewayKey } from '../helpers/forge.ts';
import { foreignClient, startGateway, type TestGateway } from '../helpers/gateway.ts';
import { addSecondExecutor } from '../helpers/second_executor.ts';

describe('attack scenarios, each stopped at its step', () => {
  let gw: TestGateway;
  let coordinator: CrefgateClient;
  let executor: CrefgateClient;
  let exec02: CrefgateClient;
  const issue = (executorId = 'exec-01', crefs: Record<string, string> = { github: 'cref://tenant_abc/github_token' }) =>
    coordinator.issueJob({ tenant: 'tenant_abc', executor: executorId, crefs, ttl: 600 });

  before(async () => {
    gw = await startGateway();
    coordinator = gw.client('coordinator');
    executor = gw.client('executor');
    await addSecondExecutor(gw);
    exec02 = gw.client('exec-02');
  });
  after(async () => {
    await assertNoSecretLeak(gw);
    await gw.close();
  });

  it('a direct call without a token is malformed at shape', async () => {
    const envelope = await issue();
    const { token: _token, ...withoutToken } = envelope;
    await refused(gw, executor.resolveRaw(JSON.stringify(withoutToken)), 'malformed', 'shape');
    await refused(gw, executor.resolveRaw(JSON.stringify({ crefs: { github: 'cref://tenant_abc/github_token' } })), 'malformed', 'shape');
    await executor.resolve(envelope); // the real envelope was not burned
  });

  it('a replay is refused at nonce', async () => {
    const envelope = await issue();
    await executor.resolve(envelope);
    await refused(gw, executor.resolve(envelope), 'replayed', 'nonce');
  });

  it('a stolen cref alone (a self-made envelope) is refused at hmac', async () => {
    const envelope = await issue();
    const forged: Envelope = { ...envelope, payload: { ...envelope.payload, crefs: { db: 'cref://tenant_abc/db' } } };
    await refused(gw, executor.resolveRaw(envelopeBody(forged)), 'unauthenticated', 'hmac');
  });

  it('a stolen request token on another payload is refused at binding', async () => {
    const [a, b] = [await issue(), await issue()];
    await refused(gw, executor.resolve({ ...a, token: b.token }), 'forbidden', 'binding');
    await executor.resolve(a); // neither envelope was burned
    await executor.resolve(b);
  });

  it('a whole envelope stolen by another executor is refused at executor', async () => {
    const envelope = await issue('exec-01');
    await refused(gw, exec02.resolve(envelope), 'forbidden', 'executor');
    await executor.resolve(envelope);
  });

  it('an expired token replayed later is refused at token', async () => {
    const envelope = await issue();
    gw.clock.advance(301_000 + 30_000); // token life plus the allowed skew
    try {
      await refused(gw, executor.resolve(envelope), 'expired', 'token');
    } finally {
      gw.clock.advance(-331_000);
    }
  });

  it('a payload sent to the wrong executor is refused at executor', async () => {
    const forExec02 = await issue('exec-02');
    await refused(gw, executor.resolve(forExec02), 'forbidden', 'executor');
  });

  it('a compromised executor re-signing a payload for another tenant\'s cref is refused at binding', async () => {
    const envelope = await issue();
    const payload = { ...envelope.payload, crefs: { loot: 'cref://tenant_xyz/deploy_key' } };
    await refused(gw, executor.resolve(retag(envelope, payload, gw.hmac), { verify: false }), 'forbidden', 'binding');
  });

  it('even a validly signed envelope for another tenant\'s cref is refused at scope', async () => {
    const envelope = await issue();
    const payload = { ...envelope.payload, crefs: { loot: 'cref://tenant_xyz/deploy_key' } };
    const token = await signWithGatewayKey(gw.dir, claimsFor(payload, Math.floor(gw.clock.now() / 1000)));
    await refused(gw, executor.resolve({ ...retag(envelope, payload, gw.hmac), token }, { verify: false }), 'forbidden', 'scope');
  });

  it('a compromised executor cannot reuse its lease after the job ended', async () => {
    const envelope = await issue();
    const result = await executor.resolve(envelope);
    await executor.completeJob(envelope.payload.job_id);
    await refused(gw, executor.renewLease(result.secrets.github!.lease_id, 60), 'expired', 'lease');
  });

  it('another executor cannot touch a job\'s leases', async () => {
    const envelope = await issue();
    const result = await executor.resolve(envelope);
    await refused(gw, exec02.renewLease(result.secrets.github!.lease_id, 60), 'forbidden', 'lease');
    await refused(gw, exec02.revokeLease(result.secrets.github!.lease_id), 'forbidden', 'lease');
    await refused(gw, exec02.completeJob(envelope.payload.job_id), 'forbidden', 'lease');
  });

  it('a disabled executor is refused at executor on its next request', async () => {
    const envelope = await issue('exec-02');
    await gw.client('admin').setExecutorEnabled('exec-02', false);
    try {
      await refused(gw, exec02.resolve(envelope), 'forbidden', 'executor');
    } finally {
      await gw.client('admin').setExecutorEnabled('exec-02', true);
    }
  });

  it('a certificate from another CA never gets a TLS session', async () => {
    const intruder = await foreignClient(gw.url, readFileSync(path.join(gw.dir, 'pki', 'ca.crt'), 'utf8'));
    await assert.rejects(intruder.get('/v1/jwks'), (err: NodeJS.ErrnoException) => err.code !== undefined || /alert|certificate|socket/i.test(err.message));
    intruder.close();
  });

  it('a coordinator or admin certificate cannot resolve (tls step)', async () => {
    const envelope = await issue();
    await refused(gw, coordinator.resolve(envelope), 'forbidden', 'tls');
    await executor.resolve(envelope);
  });
});
