import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { canonicalJson } from '../../src/envelope/canonical.ts';
import { exportBundle } from '../../src/audit/verify/export_bundle.ts';
import type { FindingKind } from '../../src/audit/verify/findings.ts';
import { createAuditTrail } from '../../src/audit/index.ts';
import { signCheckpoint } from '../../src/audit/log/checkpoint.ts';
import { parseNote, signerFromPem, verifierKeyString } from '../../src/audit/log/note.ts';
import { verifyAuditPath, type VerifyReport } from '../../src/audit/verify/verify_path.ts';
import { tempFolder } from '../helpers/kit.ts';
import { auditFixture, resolveEvent, writeSigningKey, type AuditFixture } from './helpers.ts';

const T0 = Date.parse('2025-11-23T00:00:00.000Z');

/** A log of `groups` batches of 10 events, one checkpoint after each batch (time advances 1.5 s per batch). */
async function writeLog(origin: string, groups: number, tenantOf = (n: number) => (n % 2 === 0 ? 'tenant_a' : 'tenant_b')): Promise<AuditFixture> {
  const fx = auditFixture({ origin });
  const signingKey = writeSigningKey(fx.dir);
  let clock = T0;
  const trail = await createAuditTrail({ ...fx.config, signing_key_file: signingKey }, { configDir: fx.dir, now: () => clock });
  for (let g = 0; g < groups; g++) {
    clock += 1500;
    await Promise.all(Array.from({ length: 10 }, (_, i) => trail.record(resolveEvent(g * 10 + i, tenantOf(g * 10 + i)))));
  }
  await trail.close();
  return fx;
}

/** The suite's temporary folder (test kit, removed after the suite); every bundle and copy is made inside it. */
let scratch: { readonly path: string };

const exportSigner = signerFromPem('crefgate/export', generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }));

async function exportTo(logs: string[], extra: { tenant?: string; since?: string; until?: string } = {}): Promise<string> {
  const out = mkdtempSync(path.join(scratch.path, 'bundle-'));
  await exportBundle({ logs, out, format: 'ocsf', signer: exportSigner, ...extra });
  return out;
}

function pinned(fx: AuditFixture) {
  const keys = (JSON.parse(readFileSync(`${fx.logPath}.keys.json`, 'utf8')) as { keys: { vkey: string }[] }).keys;
  return [...keys, { vkey: verifierKeyString(exportSigner) }];
}

function kinds(report: VerifyReport): FindingKind[] {
  return [...report.findings, ...report.logs.flatMap((l) => l.findings)].map((f) => f.kind);
}

/** Applies `edit` to the event lines of a copy of the bundle. */
function tamperEvents(bundle: string, edit: (lines: string[]) => string[]): string {
  const copy = mkdtempSync(path.join(scratch.path, 'tampered-'));
  cpSync(bundle, copy, { recursive: true });
  const file = path.join(copy, 'logs/0/events.ndjson');
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
  writeFileSync(file, edit(lines).map((l) => `${l}\n`).join(''));
  return copy;
}

describe('audit export bundle and offline verification', function () {
  this.timeout(20_000);
  scratch = tempFolder('crefgate-bundle-');
  let fx: AuditFixture;
  let bundle: string;

  before(async () => {
    fx = await writeLog('audit.example/replica-1', 6);
    bundle = await exportTo([fx.logPath]);
  });

  it('verifies a live log folder: chain, signatures and roots of every checkpoint', async () => {
    const report = await verifyAuditPath(path.dirname(fx.logPath), { keys: pinned(fx) });
    assert.deepEqual(kinds(report), []);
    assert.equal(report.logs[0]!.events, 60);
    assert.equal(report.logs[0]!.attested, 60);
  });

  it('verifies the untouched bundle with pinned keys, including the OCSF copy listed in the manifest', async () => {
    const report = await verifyAuditPath(bundle, { keys: pinned(fx) });
    assert.equal(report.ok, true, JSON.stringify(report, null, 1));
    assert.equal(report.logs[0]!.attested, 60);
    const ocsf = readFileSync(path.join(bundle, 'ocsf.ndjson'), 'utf8').split('\n')[0]!;
    const first = JSON.parse(ocsf) as { class_uid: number; status_id: number; metadata: { sequence: number } };
    assert.deepEqual([first.class_uid, first.status_id, first.metadata.sequence], [6003, 2, 0], 'event 0 is a denied resolve (API Activity, Failure)');
  });

  const cases: [string, FindingKind, (lines: string[]) => string[]][] = [
    ['a modified line', 'modified', (l) => l.map((x, i) => (i === 12 ? x.replace('"outcome":"granted"', '"outcome":"denied"') : x))],
    ['an inserted line', 'inserted', (l) => [...l.slice(0, 20), canonicalJson({ ...JSON.parse(l[20]!), job_id: 'forged' }), ...l.slice(20)]],
    ['a deleted line', 'deleted', (l) => l.filter((_, i) => i !== 33)],
    ['reordered lines', 'reordered', (l) => l.map((x, i) => (i === 40 ? l[41]! : i === 41 ? l[40]! : x))],
    ['a truncated tail', 'truncated', (l) => l.slice(0, 52)],
  ];
  for (const [what, kind, edit] of cases) {
    it(`names ${what} as ${kind}`, async () => {
      const report = await verifyAuditPath(tamperEvents(bundle, edit), { keys: pinned(fx) });
      assert.equal(report.ok, false);
      assert.ok(kinds(report).includes(kind), `${kind} not in ${kinds(report).join(', ')}`);
    });
  }

  it('reports exactly the same when large logs are parsed on worker threads', async function () {
    if (availableParallelism() < 2) this.skip(); // one core: verification never starts a worker
    const torn = mkdtempSync(path.join(scratch.path, 'torn-'));
    cpSync(path.dirname(fx.logPath), torn, { recursive: true });
    writeFileSync(path.join(torn, path.basename(fx.logPath)), '{"seq":60,"prev":"', { flag: 'a' });
    const targets = [bundle, path.dirname(fx.logPath), torn, ...cases.map(([, , edit]) => tamperEvents(bundle, edit))];
    for (const target of targets) {
      const inline = await verifyAuditPath(target, { keys: pinned(fx) });
      const parallel = await verifyAuditPath(target, { keys: pinned(fx), parallelMinBytes: 0 });
      assert.deepEqual(parallel, inline, target);
    }
  });

  it('names a forged checkpoint (attacker key) and an edited checkpoint root', async () => {
    const copy = mkdtempSync(path.join(scratch.path, 'forged-'));
    cpSync(bundle, copy, { recursive: true });
    const file = path.join(copy, 'logs/0/checkpoints.ndjson');
    const notes = readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as { note: string }).note);
    const attacker = signerFromPem('audit.example/replica-1', generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }));
    notes[notes.length - 1] = signCheckpoint({ origin: 'audit.example/replica-1', size: 60, root: Buffer.alloc(32, 1), time: T0 + 60_000 }, [attacker]);
    const text = parseNote(notes[1]!).text;
    notes[1] = notes[1]!.replace(text.split('\n')[2]!, Buffer.alloc(32, 2).toString('base64'));
    writeFileSync(file, notes.map((n) => `${canonicalJson({ note: n })}\n`).join(''));
    const report = await verifyAuditPath(copy, { keys: pinned(fx) });
    const forged = report.logs[0]!.findings.filter((f) => f.kind === 'forged_checkpoint');
    assert.equal(forged.length, 2, JSON.stringify(report.logs[0]!.findings));
    assert.ok(kinds(report).includes('bad_manifest'), 'the manifest hash of the checkpoint file no longer matches');
  });

  it('detects truncation of a live log against a trusted checkpoint', async () => {
    const trusted = readFileSync(`${fx.logPath}.checkpoints`, 'utf8').trim().split('\n').at(-1)!;
    const copy = mkdtempSync(path.join(scratch.path, 'trunc-'));
    const lines = readFileSync(fx.logPath, 'utf8').split('\n').filter((l) => l !== '');
    writeFileSync(path.join(copy, 'audit.log'), lines.slice(0, 45).map((l) => `${l}\n`).join(''));
    const report = await verifyAuditPath(path.join(copy, 'audit.log'), {
      keys: pinned(fx),
      trustedCheckpoint: (JSON.parse(trusted) as { note: string }).note,
    });
    assert.ok(kinds(report).includes('truncated'), kinds(report).join(','));
  });

  it('exports one tenant with inclusion proofs, and catches an edited event there', async () => {
    const filtered = await exportTo([fx.logPath], { tenant: 'tenant_a' });
    const report = await verifyAuditPath(filtered, { keys: pinned(fx) });
    assert.equal(report.ok, true, JSON.stringify(report, null, 1));
    assert.equal(report.logs[0]!.events, 30);
    const tampered = tamperEvents(filtered, (l) => l.map((x, i) => (i === 4 ? x.replace('"source":"10.0.0.7"', '"source":"10.0.0.8"') : x)));
    assert.ok(kinds(await verifyAuditPath(tampered, { keys: pinned(fx) })).includes('modified'));
  });

  it('exports a time range of several replicas and verifies each log against its own keys', async () => {
    const other = await writeLog('audit.example/replica-2', 3);
    const ranged = await exportTo([fx.logPath, other.logPath], { since: new Date(T0 + 3000).toISOString(), until: new Date(T0 + 7000).toISOString() });
    const report = await verifyAuditPath(ranged, { keys: [...pinned(fx), ...pinned(other)] });
    assert.equal(report.ok, true, JSON.stringify(report, null, 1));
    assert.deepEqual(report.logs.map((l) => [l.origin, l.events]), [
      ['audit.example/replica-1', 30],
      ['audit.example/replica-2', 20],
    ]);
  });
});
