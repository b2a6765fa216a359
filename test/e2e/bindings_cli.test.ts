/** `crefgate job issue --bind name=value` binds the envelope it writes; a bad value is the gateway's typed 400. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';

const run = promisify(execFile);

describe('crefgate job issue --bind', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startGateway();
  });
  after(async () => {
    await gw.close();
  });
  const issue = (...extra: string[]) =>
    run(process.execPath, ['src/cli.ts', 'job', 'issue', '--dir', gw.dir, '--url', gw.url, '--as', 'coordinator', '--tenant', 'tenant_abc', '--executor', 'exec-01', '--cref', 'gh=cref://tenant_abc/github_token', ...extra]);

  it('writes an envelope whose signed payload carries the bindings', async () => {
    const sha = '0123456789abcdef0123456789abcdef01234567';
    const { stdout } = await issue('--bind', `sha=${sha}`, '--bind', 'ref=refs/heads/main', '--bind', 'run_id=77');
    assert.deepEqual(JSON.parse(stdout).payload.bindings, { ref: 'refs/heads/main', run_id: '77', sha });
    const plain = JSON.parse((await issue()).stdout);
    assert.equal('bindings' in plain.payload, false, 'no --bind: an unbound payload, as before');
  });

  it('fails with the gateway\'s malformed answer for a bad value, and locally for a missing =', async () => {
    await assert.rejects(issue('--bind', 'sha=XYZ'), (err: { code: number; stderr: string }) => err.code !== 0 && /malformed/.test(err.stderr));
    await assert.rejects(issue('--bind', 'sha'), (err: { code: number; stderr: string }) => err.code !== 0 && /expected name=value/.test(err.stderr));
  });
});
