/**
 * The envelope `crefgate job issue` writes is the wire body the gateway accepts: a plain HTTP client posting the
 * file as it is (curl --data @envelope.json) resolves it. Regression (issue 17): the CLI pretty-printed the
 * envelope, so the payload's bytes were no longer RFC 8785 canonical and the shape step refused it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';

const run = promisify(execFile);
const CURL = ['/usr/bin/curl', '/usr/local/bin/curl'].find((p) => existsSync(p));

describe('an issued envelope file, posted as it is', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startGateway();
  });
  after(async () => {
    await gw.close();
  });

  const issueToFile = async (file: string): Promise<string> => {
    const { stdout } = await run(process.execPath, ['src/cli.ts', 'job', 'issue', '--dir', gw.dir, '--url', gw.url, '--as', 'coordinator',
      '--tenant', 'tenant_abc', '--executor', 'exec-01', '--cref', 'gh=cref://tenant_abc/github_token', '--ttl', '600']);
    await writeFile(file, stdout);
    return stdout;
  };

  it('is one line of compact JSON whose payload is canonical, and the CLI resolves it', async () => {
    const file = path.join(gw.dir, 'envelope.json');
    const text = await issueToFile(file);
    assert.equal(text.trimEnd().includes('\n'), false, 'the envelope file is one line');
    const { stdout } = await run(process.execPath, ['src/cli.ts', 'resolve', '--dir', gw.dir, '--url', gw.url, '--as', 'executor', '--envelope', file, '--hmac-secret-file', path.join(gw.dir, 'executors', 'exec-01.hmac')]);
    assert.match(stdout, /ghp_|"value"/);
  });

  it('is accepted by curl --data @envelope.json (content-type application/json)', async function () {
    if (CURL === undefined) this.skip();
    const file = path.join(gw.dir, 'envelope-curl.json');
    await issueToFile(file);
    const { stdout } = await run(CURL!, [
      '--silent', '--show-error', '--cacert', path.join(gw.dir, 'pki', 'ca.crt'),
      '--cert', path.join(gw.dir, 'clients', 'executor.crt'), '--key', path.join(gw.dir, 'clients', 'executor.key'),
      '-H', 'content-type: application/json', '--data', `@${file}`, `${gw.url}/v1/resolve`,
    ]);
    const body = JSON.parse(stdout) as { secrets?: { gh?: { value: string } }; error?: unknown };
    assert.equal(body.error, undefined, stdout);
    assert.equal(typeof body.secrets?.gh?.value, 'string');
    const granted = (await gw.auditLines()).filter((l) => l.action === 'resolve' && l.outcome === 'granted');
    assert.ok(granted.length >= 1);
    assert.ok(!(await readFile(file, 'utf8')).includes(body.secrets!.gh!.value), 'no secret in the envelope');
  });
});
