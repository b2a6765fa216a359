import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { runAuditCli as run } from '../helpers/audit_cli.ts';
import { createAuditTrail } from '../../src/audit/index.ts';
import { auditFixture, resolveEvent, writeSigningKey } from './helpers.ts';

describe('audit CLI', () => {
  it('audit hash prints the same HMAC the trail writes', async () => {
    const fx = auditFixture();
    const trail = await createAuditTrail(fx.config, { configDir: fx.dir });
    const expected = trail.hash('tenant_abc', 'some-token');
    await trail.close();
    const { out } = await run(['audit', 'hash', '--tenant', 'tenant_abc', '--key-file', fx.keyFile, 'some-token']);
    assert.equal(out.trim(), expected);
  });

  it('audit verify exits 0 on a good log and 1 naming the modified line', async () => {
    const fx = auditFixture();
    const trail = await createAuditTrail({ ...fx.config, signing_key_file: writeSigningKey(fx.dir) }, { configDir: fx.dir });
    for (let n = 0; n < 5; n++) await trail.record(resolveEvent(n));
    await trail.close();
    assert.equal((await run(['audit', 'verify', fx.logPath])).code, 0);
    assert.equal((await run(['audit', 'verify', `${fx.dir}/logs`])).code, 0);
    const lines = readFileSync(fx.logPath, 'utf8').split('\n');
    lines[2] = lines[2]!.replace('"outcome":"granted"', '"outcome":"denied"');
    writeFileSync(fx.logPath, lines.join('\n'));
    const { out, code } = await run(['audit', 'verify', fx.logPath]);
    assert.equal(code, 1);
    assert.match(out, /MODIFIED .*audit\.log:3: seq 2 does not hash/);
  });

  it('audit verify of a log written without a checkpoint key exits 1: nothing attests it', async () => {
    const fx = auditFixture();
    const trail = await createAuditTrail(fx.config, { configDir: fx.dir });
    await trail.record(resolveEvent(1));
    await trail.close();
    const { out, code } = await run(['audit', 'verify', fx.logPath]);
    assert.equal(code, 1);
    assert.match(out, /UNATTESTED .*: 1 event\(s\) \(seq 0\) are not covered by any valid checkpoint: the log has no valid checkpoint/);
  });
});
