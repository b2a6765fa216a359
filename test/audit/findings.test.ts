/**
 * One test per finding kind the verifier has. The table is typed `Record<FindingKind, …>`, so a new kind does not
 * compile until it has a case here. Each case damages a copy of a good log (or bundle) one way and checks that
 * verify fails naming that kind, with the exact wording where an auditor reads it.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { signCheckpoint } from '../../src/audit/log/checkpoint.ts';
import { exportBundle } from '../../src/audit/verify/export_bundle.ts';
import type { Finding, FindingKind } from '../../src/audit/verify/findings.ts';
import { createAuditTrail } from '../../src/audit/index.ts';
import { signerFromPem, verifierKeyString } from '../../src/audit/log/note.ts';
import { verifyAuditPath, type VerifyReport } from '../../src/audit/verify/verify_path.ts';
import { cosignerKeyString } from '../../src/audit/log/cosignature.ts';
import { rewriteAndRechain } from './attack_helpers.ts';
import { auditFixture, resolveEvent, writeSigningKey, type AuditFixture } from './helpers.ts';
import { tempFolder } from '../helpers/kit.ts';

const T0 = Date.parse('2025-11-23T00:00:00.000Z');
const ORIGIN = 'audit.example/findings';
const pem = () => generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' });
const exportSigner = signerFromPem('crefgate/export', pem());

/** 30 events in three batches, a checkpoint after each (sizes 0, 10, 20, 30). */
async function writeLog(): Promise<AuditFixture> {
  const fx = auditFixture({ origin: ORIGIN });
  let clock = T0;
  const trail = await createAuditTrail({ ...fx.config, signing_key_file: writeSigningKey(fx.dir) }, { configDir: fx.dir, now: () => clock });
  for (let g = 0; g < 3; g++) {
    clock += 1500;
    await Promise.all(Array.from({ length: 10 }, (_, i) => trail.record(resolveEvent(g * 10 + i))));
  }
  await trail.close();
  return fx;
}

function all(report: VerifyReport): Finding[] {
  return [...report.findings, ...report.logs.flatMap((l) => l.findings)];
}

describe('audit verify: every finding kind', function () {
  this.timeout(20_000);
  // One folder for the suite, removed after it; the bundle and every tampered copy live inside it.
  const scratch = tempFolder('crefgate-findings-');
  let fx: AuditFixture;
  let keys: { vkey: string }[];
  let bundle: string;

  before(async () => {
    fx = await writeLog();
    keys = [...(JSON.parse(readFileSync(`${fx.logPath}.keys.json`, 'utf8')) as { keys: { vkey: string }[] }).keys, { vkey: verifierKeyString(exportSigner) }];
    bundle = mkdtempSync(path.join(scratch.path, 'bundle-'));
    await exportBundle({ logs: [fx.logPath], out: bundle, format: 'ndjson', signer: exportSigner });
  });

  /** A copy of the live log folder; returns the copied log's path. */
  const copyLog = (): string => {
    const dir = mkdtempSync(path.join(scratch.path, 'log-'));
    cpSync(path.dirname(fx.logPath), dir, { recursive: true });
    return path.join(dir, path.basename(fx.logPath));
  };
  const copyBundle = (): string => {
    const dir = mkdtempSync(path.join(scratch.path, 'bundle-'));
    cpSync(bundle, dir, { recursive: true });
    return dir;
  };
  const editLines = (file: string, edit: (lines: string[]) => string[]): void => {
    const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
    writeFileSync(file, edit(lines).map((l) => `${l}\n`).join(''));
  };

  it('the untouched log and bundle verify, every event attested', async () => {
    for (const target of [fx.logPath, bundle]) {
      const report = await verifyAuditPath(target, { keys });
      assert.deepEqual(all(report), [], target);
      assert.equal(report.logs[0]!.attested, 30);
    }
  });

  type Case = () => Promise<{ report: VerifyReport; message?: RegExp; seq?: number }>;
  const cases: Record<FindingKind, Case> = {
    malformed: async () => {
      const log = copyLog();
      editLines(log, (l) => l.map((x, i) => (i === 3 ? 'not json at all' : x)));
      return { report: await verifyAuditPath(log, { keys }), message: /^not JSON$/ };
    },
    modified: async () => {
      const log = copyLog();
      editLines(log, (l) => l.map((x, i) => (i === 2 ? x.replace('"outcome":"granted"', '"outcome":"denied"') : x)));
      return { report: await verifyAuditPath(log, { keys }), message: /^seq 2 does not hash to the prev recorded by seq 3$/, seq: 2 };
    },
    inserted: async () => {
      const log = copyLog();
      editLines(log, (l) => [...l.slice(0, 6), l[5]!.replace('"job_id":"job-5"', '"job_id":"job-forged"'), ...l.slice(6)]);
      return { report: await verifyAuditPath(log, { keys }), message: /^a second line claims seq 5 \(the chain holds .*audit\.log:6\)$/, seq: 5 };
    },
    deleted: async () => {
      const log = copyLog();
      editLines(log, (l) => l.filter((_, i) => i !== 14));
      const report = await verifyAuditPath(log, { keys });
      // Named by the missing seq; nothing claims the log ends early; only the lines under checkpoint 10 are attested.
      assert.deepEqual(report.logs[0]!.findings.map((f) => f.kind), ['deleted']);
      assert.equal(report.logs[0]!.attested, 10);
      return { report, message: /^seq 14 missing$/, seq: 14 };
    },
    reordered: async () => {
      const log = copyLog();
      editLines(log, (l) => l.map((x, i) => (i === 16 ? l[17]! : i === 17 ? l[16]! : x)));
      return { report: await verifyAuditPath(log, { keys }), message: /^seq 16 appears after seq 17$/, seq: 16 };
    },
    truncated: async () => {
      const log = copyLog();
      editLines(log, (l) => l.slice(0, 27));
      const report = await verifyAuditPath(log, { keys });
      assert.equal(report.logs[0]!.attested, 20, 'checkpoint 20 still matches; checkpoint 30 does not');
      return { report, message: /^checkpoint attests 30 events but the log ends at seq 26$/, seq: 27 };
    },
    torn_tail: async () => {
      const log = copyLog();
      writeFileSync(log, '{"seq":30,"prev":"', { flag: 'a' });
      return { report: await verifyAuditPath(log, { keys }), message: /^last line has no newline \(torn write\)$/ };
    },
    origin_mismatch: async () => {
      const log = copyLog();
      rewriteAndRechain(log, (e, i) => (i === 8 ? { ...e, origin: 'audit.example/other' } : e));
      return { report: await verifyAuditPath(log, { keys }), message: new RegExp(`^origin audit\\.example/other in a log of ${ORIGIN}$`), seq: 8 };
    },
    forged_checkpoint: async () => {
      const log = copyLog();
      const attacker = signerFromPem(ORIGIN, pem());
      const forged = signCheckpoint({ origin: ORIGIN, size: 30, root: Buffer.alloc(32, 1), time: T0 + 10_000 }, [attacker]);
      writeFileSync(`${log}.checkpoints`, `${JSON.stringify({ note: forged })}\n`, { flag: 'a' });
      return { report: await verifyAuditPath(log, { keys }), message: /^checkpoint of size 30: no valid signature by a trusted key$/, seq: 30 };
    },
    root_mismatch: async () => {
      const log = copyLog();
      rewriteAndRechain(log, (e, i) => (i === 12 ? { ...e, source: '203.0.113.9' } : e));
      const report = await verifyAuditPath(log, { keys });
      assert.equal(report.logs[0]!.attested, 10);
      return { report, message: /^recomputed root of the first 20 events differs from the signed checkpoint: events before seq 20 were altered$/, seq: 19 };
    },
    bad_proof: async () => {
      const copy = copyBundle();
      const file = path.join(copy, 'logs/0/proofs.json');
      const proofs = JSON.parse(readFileSync(file, 'utf8')) as { consistency: { proof: string[] }[] };
      const step = proofs.consistency.find((c) => c.proof.length > 0)!;
      step.proof[0] = 'ff'.repeat(32);
      writeFileSync(file, `${JSON.stringify(proofs)}\n`);
      return { report: await verifyAuditPath(copy, { keys }), message: /^checkpoints are not consistent \(a fork or a forged checkpoint\)$/ };
    },
    checkpoint_regression: async () => {
      const log = copyLog();
      editLines(`${log}.checkpoints`, (l) => [l[0]!, l[2]!, l[1]!, ...l.slice(3)]);
      return { report: await verifyAuditPath(log, { keys }), message: /^checkpoint size\/time goes backwards \(20 → 10\)$/, seq: 10 };
    },
    bad_manifest: async () => {
      const copy = copyBundle();
      writeFileSync(path.join(copy, 'keys.json'), '{"keys":[]}\n');
      return { report: await verifyAuditPath(copy, { keys }), message: /^file differs from the SHA-256 in the signed manifest$/ };
    },
    missing_file: async () => {
      const copy = copyBundle();
      rmSync(path.join(copy, 'keys.json'));
      return { report: await verifyAuditPath(copy, { keys }), message: /^listed in the manifest but missing$/ };
    },
    unattested: async () => {
      const log = copyLog();
      editLines(`${log}.checkpoints`, (l) => l.slice(0, 2)); // checkpoints 0 and 10 remain
      const report = await verifyAuditPath(log, { keys });
      assert.equal(report.logs[0]!.attested, 10);
      return { report, message: /^20 event\(s\) \(seq 10\.\.29\) are not covered by any valid checkpoint: they come after the last valid checkpoint$/, seq: 10 };
    },
    unwitnessed: async () => {
      const witness = cosignerKeyString(signerFromPem('witness.example/w1', pem()));
      return {
        report: await verifyAuditPath(fx.logPath, { keys, witnessKeys: [witness] }),
        message: /^no checkpoint cosigned by witness witness\.example\/w1 covers seq 29 \(seq 0\.\.29 unwitnessed; it cosigned no matching checkpoint here\): the witness never saw these events, so the log may have been rewritten on the gateway's host$/,
        seq: 0,
      };
    },
  };

  for (const [kind, run] of Object.entries(cases) as [FindingKind, Case][]) {
    it(`names ${kind}`, async () => {
      const { report, message, seq } = await run();
      assert.equal(report.ok, false);
      const found = all(report).filter((f) => f.kind === kind);
      assert.ok(found.length > 0, `${kind} not in ${JSON.stringify(all(report))}`);
      if (message !== undefined) assert.ok(found.some((f) => message.test(f.message)), `${found.map((f) => f.message).join(' | ')} !~ ${message}`);
      if (seq !== undefined) assert.ok(found.some((f) => f.seq === seq), `seq ${seq} not in ${JSON.stringify(found)}`);
    });
  }
});
