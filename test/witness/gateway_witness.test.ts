/**
 * The gateway's trail with a witness (in this process here; test/e2e/witness.test.ts runs it in its own): every
 * checkpoint is offered, cosignatures are stored with the checkpoints and exported, a missing witness raises one
 * alert and blocks nothing, and `verify --witness-key` tells a log the witness saw from one rewritten and
 * re-signed with the gateway's own key.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import { parseCheckpointText, signCheckpoint } from '../../src/audit/log/checkpoint.ts';
import { exportBundle } from '../../src/audit/verify/export_bundle.ts';
import { createAuditTrail } from '../../src/audit/index.ts';
import { CompactRange, leafHash } from '../../src/audit/log/merkle.ts';
import { parseNote, parseVerifierKey, signerFromPem, verifierKeyString } from '../../src/audit/log/note.ts';
import { verifyAuditPath } from '../../src/audit/verify/verify_path.ts';
import { cosignerKeyString } from '../../src/audit/log/cosignature.ts';
import { createWitnessServer, listen } from '../../src/witness/server.ts';
import { WitnessState } from '../../src/witness/state.ts';
import { rewriteAndRechain } from '../audit/attack_helpers.ts';
import { auditFixture, resolveEvent, writeSigningKey, type AuditFixture } from '../audit/helpers.ts';
import { makeTempFolder } from '../helpers/kit.ts';

const ORIGIN = 'test.example/replica-1';
const pem = () => generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' });

interface Running {
  url: string;
  vkey: string;
  stop: () => Promise<void>;
}

async function startWitness(stateDir: string, logVkeys: string[], signerPem = pem()): Promise<Running & { pem: string | Buffer }> {
  const signer = signerFromPem('witness.test/w1', signerPem);
  const state = new WitnessState(stateDir);
  const server: Server = createWitnessServer({ signer, logs: logVkeys.map((k) => parseVerifierKey(k)), state });
  const { port } = await listen(server, '127.0.0.1', 0);
  return {
    url: `http://127.0.0.1:${port}`,
    vkey: cosignerKeyString(signer),
    pem: signerPem,
    stop: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      state.close();
    },
  };
}

/** Reads the log's checkpoint key (PEM) and returns its verifier key string. */
function logVkey(keyFile: string): string {
  return verifierKeyString(signerFromPem(ORIGIN, readFileSync(keyFile)));
}

function checkpointNotes(fx: AuditFixture): string[] {
  return readFileSync(`${fx.logPath}.checkpoints`, 'utf8').split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as { note: string }).note);
}

describe('gateway trail with a witness', function () {
  this.timeout(20_000);
  let fx: AuditFixture;
  let keyFile: string;
  let witness: Running & { pem: string | Buffer };
  let pinned: { vkey: string }[];
  // One folder for the suite (test kit): the witness state and every bundle and copy; removed after the witness stops.
  let scratch: Awaited<ReturnType<typeof makeTempFolder>>;

  before(async () => {
    scratch = await makeTempFolder('crefgate-witness-');
    const stateDir = mkdtempSync(path.join(scratch.path, 'state-'));
    fx = auditFixture({ checkpoint_heartbeat_s: 1 });
    keyFile = writeSigningKey(fx.dir);
    witness = await startWitness(stateDir, [logVkey(keyFile)]);
    const trail = await createAuditTrail({ ...fx.config, signing_key_file: keyFile, witnesses: [{ url: witness.url, key: witness.vkey, timeout_ms: 2000, attempts: 3 }] }, { configDir: fx.dir });
    for (let n = 0; n < 12; n++) await trail.record(resolveEvent(n));
    await trail.close();
    pinned = [{ vkey: logVkey(keyFile) }];
  });
  after(async () => {
    await witness?.stop();
    await scratch?.remove();
  });

  it('stores cosigned copies of the checkpoints, and verify --witness-key passes', async () => {
    const cosigned = checkpointNotes(fx).filter((n) => parseNote(n).signatures.some((s) => s.name === 'witness.test/w1'));
    assert.ok(cosigned.length >= 1);
    assert.equal(parseCheckpointText(parseNote(cosigned.at(-1)!).text).size, 12, 'the last checkpoint (at close) is cosigned');
    const report = await verifyAuditPath(fx.logPath, { keys: pinned, witnessKeys: [witness.vkey] });
    assert.equal(report.ok, true, JSON.stringify(report.logs[0]));
    assert.deepEqual(report.logs[0]!.witnessed, [{ witness: 'witness.test/w1', size: 12 }]);
  });

  it('exports the cosignatures: the bundle verifies with --witness-key', async () => {
    const out = mkdtempSync(path.join(scratch.path, 'bundle-'));
    const exportSigner = signerFromPem('crefgate/export', pem());
    await exportBundle({ logs: [fx.logPath], out, format: 'ndjson', signer: exportSigner });
    const keys = [...pinned, { vkey: verifierKeyString(exportSigner) }];
    const report = await verifyAuditPath(out, { keys, witnessKeys: [witness.vkey] });
    assert.equal(report.ok, true, JSON.stringify(report.logs[0]));
    const tenant = mkdtempSync(path.join(scratch.path, 'bundle-'));
    await exportBundle({ logs: [fx.logPath], out: tenant, format: 'ndjson', signer: exportSigner, tenant: 'tenant_abc' });
    assert.equal((await verifyAuditPath(tenant, { keys, witnessKeys: [witness.vkey] })).ok, true);
  });

  it('a log rewritten and re-signed with the gateway key passes with pinned keys alone, and fails against the witness', async () => {
    const dir = mkdtempSync(path.join(scratch.path, 'rewrite-'));
    const log = path.join(dir, 'audit.log');
    writeFileSync(log, readFileSync(fx.logPath));
    rewriteAndRechain(log, (e) => (e.outcome === 'denied' ? { ...e, outcome: 'granted', code: undefined, step: undefined, reason: undefined } : e));
    // The attacker holds the gateway's checkpoint key: new checkpoints over the rewritten tree, no cosignature.
    const range = new CompactRange();
    for (const line of readFileSync(log, 'utf8').split('\n').filter((l) => l !== '')) range.append(leafHash(line));
    const resigned = signCheckpoint({ origin: ORIGIN, size: range.size, root: range.root(), time: Date.now() }, [signerFromPem(ORIGIN, readFileSync(keyFile))]);
    writeFileSync(`${log}.checkpoints`, `${JSON.stringify({ note: resigned })}\n`);
    assert.equal((await verifyAuditPath(log, { keys: pinned })).ok, true, 'the gateway key alone cannot tell');
    const report = await verifyAuditPath(log, { keys: pinned, witnessKeys: [witness.vkey] });
    assert.deepEqual(report.logs[0]!.findings.map((f) => f.kind), ['unwitnessed']);
    // Copying the witness's cosignature line onto the forged checkpoint is named as forged.
    const cosignLine = checkpointNotes(fx).at(-1)!.split('\n').filter((l) => l.startsWith('— witness.test/w1')).join('\n');
    writeFileSync(`${log}.checkpoints`, `${JSON.stringify({ note: `${resigned}${cosignLine}\n` })}\n`);
    const copied = await verifyAuditPath(log, { keys: pinned, witnessKeys: [witness.vkey] });
    assert.ok(copied.logs[0]!.findings.some((f) => f.kind === 'forged_checkpoint' && /cosignature by known witness witness\.test\/w1\+[0-9a-f]{8} does not verify/.test(f.message)));
  });

  it('catches up a witness that missed a restart: learns its size from a 409 and proves from the log on disk', async () => {
    // A run without the witness configured: it misses 5 events.
    let trail = await createAuditTrail({ ...fx.config, signing_key_file: keyFile }, { configDir: fx.dir });
    for (let n = 0; n < 5; n++) await trail.record(resolveEvent(100 + n));
    await trail.close();
    trail = await createAuditTrail({ ...fx.config, signing_key_file: keyFile, witnesses: [{ url: witness.url, key: witness.vkey, timeout_ms: 2000, attempts: 3 }] }, { configDir: fx.dir });
    await trail.record(resolveEvent(200));
    await trail.close();
    const report = await verifyAuditPath(fx.logPath, { keys: pinned, witnessKeys: [witness.vkey] });
    assert.equal(report.ok, true, JSON.stringify(report.logs[0]));
    assert.deepEqual(report.logs[0]!.witnessed, [{ witness: 'witness.test/w1', size: 18 }]);
  });

  it('a witness that saw another history refuses this one: one witness_refused alert, and the log stays unwitnessed', async () => {
    // A second log under the same origin and key (a rewrite started from scratch on the host): the witness has
    // cosigned 18 events of the first one, so it finds this longer history inconsistent and answers 422.
    const forked = auditFixture();
    const trail = await createAuditTrail({ ...forked.config, signing_key_file: keyFile, witnesses: [{ url: witness.url, key: witness.vkey, timeout_ms: 2000, attempts: 3 }] }, { configDir: forked.dir });
    for (let n = 0; n < 25; n++) await trail.record(resolveEvent(500 + n));
    await new Promise((r) => setTimeout(r, 1200)); // past the checkpoint interval: a checkpoint of 25 is offered
    await trail.close();
    const events = readFileSync(forked.logPath, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { action: string; reason?: string; detail?: Record<string, unknown> });
    const alerts = events.filter((e) => e.action === 'alert');
    assert.equal(alerts.length, 1, JSON.stringify(alerts));
    assert.equal(alerts[0]!.reason, 'witness_refused');
    assert.match(String(alerts[0]!.detail?.error), /witness answered 422|more than this checkpoint/);
    const report = await verifyAuditPath(forked.logPath, { keys: pinned, witnessKeys: [witness.vkey] });
    assert.ok(report.logs[0]!.findings.some((f) => f.kind === 'unwitnessed'));
  });

  it('an unreachable witness blocks no event, raises one alert event, and leaves the log unwitnessed', async () => {
    const other = auditFixture();
    const key = writeSigningKey(other.dir);
    const down = await startWitness(mkdtempSync(path.join(scratch.path, 'down-')), [logVkey(key)]);
    await down.stop(); // its port is now closed
    const trail = await createAuditTrail({ ...other.config, signing_key_file: key, witnesses: [{ url: down.url, key: down.vkey, timeout_ms: 200, attempts: 2 }] }, { configDir: other.dir });
    const started = Date.now();
    for (let n = 0; n < 20; n++) await trail.record(resolveEvent(n));
    assert.ok(Date.now() - started < 2000, 'events were never held up by the witness');
    await new Promise((r) => setTimeout(r, 1500)); // a few checkpoints and retries
    await trail.close();
    const events = readFileSync(other.logPath, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { action: string; reason?: string; detail?: Record<string, unknown> });
    const alerts = events.filter((e) => e.action === 'alert');
    assert.equal(alerts.length, 1, 'one alert per outage, not one per checkpoint');
    assert.equal(alerts[0]!.reason, 'witness_unreachable');
    assert.equal(alerts[0]!.detail?.witness, down.url);
    const report = await verifyAuditPath(other.logPath, { keys: [{ vkey: logVkey(key) }], witnessKeys: [down.vkey] });
    assert.deepEqual(report.logs[0]!.findings.map((f) => f.kind), ['unwitnessed']);
  });
});
