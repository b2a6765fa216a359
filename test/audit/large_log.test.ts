/** A log of 200,000 events verifies (no per-event spread into Math.max: that overflows the stack past ~120k). */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { signCheckpoint } from '../../src/audit/log/checkpoint.ts';
import { exportBundle } from '../../src/audit/verify/export_bundle.ts';
import { GENESIS_PREV, lineHash } from '../../src/audit/log/line.ts';
import { CompactRange, leafHash } from '../../src/audit/log/merkle.ts';
import { signerFromPem, verifierKeyString } from '../../src/audit/log/note.ts';
import { verifyAuditPath } from '../../src/audit/verify/verify_path.ts';
import { tempFolder } from '../helpers/kit.ts';

describe('audit verify of a large log', function () {
  this.timeout(60_000);
  const logFolder = tempFolder('crefgate-large-');
  const bundleFolder = tempFolder('crefgate-large-bundle-');

  it('verifies 200,000 events against their checkpoints, inline and on worker threads', async () => {
    const origin = 'large.example/r1';
    const signer = signerFromPem(origin, generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const range = new CompactRange();
    const lines: string[] = [];
    let prev = GENESIS_PREV;
    for (let seq = 0; seq < 200_000; seq++) {
      // Canonical JSON written by hand: members in code-point order.
      const line = `{"action":"resolve","origin":"${origin}","outcome":"granted","prev":"${prev}","seq":${seq},"time":"2025-11-23T00:00:00.000Z"}`;
      lines.push(line);
      range.append(leafHash(line));
      prev = lineHash(line);
    }
    const dir = logFolder.path;
    const log = path.join(dir, 'audit.log');
    writeFileSync(log, `${lines.join('\n')}\n`);
    writeFileSync(`${log}.checkpoints`, `${JSON.stringify({ note: signCheckpoint({ origin, size: range.size, root: range.root(), time: Date.parse('2025-11-23T00:00:01Z') }, [signer]) })}\n`);
    for (const parallelMinBytes of [Number.MAX_SAFE_INTEGER, 0]) {
      const report = await verifyAuditPath(log, { keys: [{ vkey: verifierKeyString(signer) }], parallelMinBytes });
      assert.equal(report.ok, true, JSON.stringify(report.logs[0]?.findings.slice(0, 2)));
      assert.equal(report.logs[0]!.attested, 200_000);
    }
    // And it exports (time range and tenant) and the bundle verifies.
    const exportSigner = signerFromPem('crefgate/export', generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const out = bundleFolder.path;
    await exportBundle({ logs: [log], out, format: 'ndjson', signer: exportSigner, since: '2025-11-22T00:00:00Z' });
    const bundle = await verifyAuditPath(out, { keys: [{ vkey: verifierKeyString(signer) }, { vkey: verifierKeyString(exportSigner) }] });
    assert.equal(bundle.ok, true, JSON.stringify(bundle.logs[0]?.findings.slice(0, 2)));
    assert.equal(bundle.logs[0]!.attested, 200_000);
  });
});
