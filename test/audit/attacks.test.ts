/**
 * Attacks by someone with write access to the gateway's host, the reported one first: rewrite the log, recompute
 * the hash chain and delete the checkpoints. With pinned keys that must fail, naming what is unattested.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createAuditTrail } from '../../src/audit/index.ts';
import { verifyAuditPath } from '../../src/audit/verify/verify_path.ts';
import { runAuditCli } from '../helpers/audit_cli.ts';
import { rewriteAndRechain } from './attack_helpers.ts';
import { auditFixture, resolveEvent, writeSigningKey, type AuditFixture } from './helpers.ts';

async function signedLog(events = 10): Promise<{ fx: AuditFixture; keysFile: string }> {
  const fx = auditFixture();
  const trail = await createAuditTrail({ ...fx.config, signing_key_file: writeSigningKey(fx.dir) }, { configDir: fx.dir });
  for (let n = 0; n < events; n++) await trail.record(resolveEvent(n));
  await trail.close();
  // The auditor pins the published keys once, before the attack (a copy kept off the host).
  const keysFile = `${fx.dir}/pinned-keys.json`;
  writeFileSync(keysFile, readFileSync(`${fx.logPath}.keys.json`));
  return { fx, keysFile };
}

const denyAll = (e: Record<string, unknown>) => (e.outcome === 'granted' ? { ...e, outcome: 'denied' } : e);

describe('audit verify against a host-level attacker', () => {
  it('rewrite, recompute the chain, delete .checkpoints: fails with pinned keys, naming unattested (regression)', async () => {
    const { fx, keysFile } = await signedLog();
    rewriteAndRechain(fx.logPath, denyAll);
    rmSync(`${fx.logPath}.checkpoints`);
    const { out, code } = await runAuditCli(['audit', 'verify', fx.logPath, '--keys', keysFile]);
    assert.equal(code, 1, out);
    assert.match(out, /^UNATTESTED .*audit\.log:1: 10 event\(s\) \(seq 0\.\.9\) are not covered by any valid checkpoint: the log has no valid checkpoint$/m);
    assert.match(out, /verification FAILED/);
    // Without pinned keys (keys next to the data) it fails the same way.
    assert.equal((await runAuditCli(['audit', 'verify', fx.logPath])).code, 1);
  });

  it('--allow-unattested downgrades it, and says so on every run', async () => {
    const { fx, keysFile } = await signedLog(3);
    rmSync(`${fx.logPath}.checkpoints`);
    for (let run = 0; run < 2; run++) {
      const { out, code } = await runAuditCli(['audit', 'verify', fx.logPath, '--keys', keysFile, '--allow-unattested']);
      assert.equal(code, 0, out);
      assert.match(out, /ALLOWED by --allow-unattested: 3 event\(s\) \(seq 0\.\.2\) are not covered by any valid checkpoint/);
      assert.match(out, /note: --allow-unattested: events that no valid checkpoint covers are reported as notes, not findings/);
      assert.match(out, /0 attested by checkpoints/);
    }
  });

  it('rewrite and recompute the chain but keep the checkpoints: root_mismatch, and nothing counts as attested', async () => {
    const { fx, keysFile } = await signedLog();
    rewriteAndRechain(fx.logPath, denyAll);
    const report = await verifyAuditPath(fx.logPath, { keys: JSON.parse(readFileSync(keysFile, 'utf8')).keys });
    assert.equal(report.ok, false);
    const log = report.logs[0]!;
    assert.ok(log.findings.some((f) => f.kind === 'root_mismatch'), JSON.stringify(log.findings));
    assert.ok(!log.findings.some((f) => f.kind === 'unattested'), 'the checkpoints cover the events; their roots just differ');
    assert.equal(log.attested, 0, 'event 0 is a denied resolve that the rewrite left alone, but no checkpoint root matches');
  });

  it('a tail past the last checkpoint is unattested once older than the grace, and only a note before', async () => {
    const { fx, keysFile } = await signedLog(4);
    const lines = readFileSync(`${fx.logPath}.checkpoints`, 'utf8').split('\n').filter((l) => l !== '');
    writeFileSync(`${fx.logPath}.checkpoints`, `${lines[0]}\n`); // keep only the start-up checkpoint (size 0)
    const keys = JSON.parse(readFileSync(keysFile, 'utf8')).keys;
    const fresh = await verifyAuditPath(fx.logPath, { keys });
    assert.equal(fresh.ok, true, JSON.stringify(fresh.logs[0]));
    assert.match(fresh.logs[0]!.notes.join('\n'), /4 recent event\(s\) after the last checkpoint still await theirs/);
    const later = await verifyAuditPath(fx.logPath, { keys, now: Date.now() + 120_000 });
    assert.deepEqual(later.logs[0]!.findings.map((f) => [f.kind, f.seq, f.message]), [
      ['unattested', 0, '4 event(s) (seq 0..3) are not covered by any valid checkpoint: they come after the last valid checkpoint'],
    ]);
  });
});
