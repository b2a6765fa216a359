/**
 * `crefgate audit report` without a browser: it verifies first, writes the page either way, exits 1 on a finding,
 * and the page's data island cannot be broken out of.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createAuditTrail } from '../../src/audit/index.ts';
import { parseNote, signerFromPem } from '../../src/audit/log/note.ts';
import { generateReport } from '../../src/audit/report/generate_report.ts';
import { readReportInput } from '../../src/audit/report/read_events.ts';
import { escapeHtml, jsonIsland } from '../../src/audit/report/render_html.ts';
import { cosign, cosignerKeyString } from '../../src/audit/log/cosignature.ts';
import { runAuditCli as run } from '../helpers/audit_cli.ts';
import { auditFixture, resolveEvent, writeSigningKey, type AuditFixture } from '../audit/helpers.ts';

function island(html: string): { verification: { ok: boolean; findings: { kind: string; seq?: number }[] }; events: { seq: number; reason?: string }[] } {
  const match = /<script type="application\/json" id="report-data">([^<]*)<\/script>/.exec(html);
  assert.ok(match, 'one data island, with no < inside it');
  return JSON.parse(match[1]!);
}

describe('audit report command', () => {
  let fx: AuditFixture;
  let out: string;

  before(async () => {
    fx = auditFixture();
    const trail = await createAuditTrail({ ...fx.config, signing_key_file: writeSigningKey(fx.dir) }, { configDir: fx.dir });
    for (let n = 0; n < 12; n++) await trail.record({ ...resolveEvent(n), reason: n === 1 ? '</script><!-- & "quoted" \u2028' : undefined });
    await trail.close();
    out = mkdtempSync(path.join(os.tmpdir(), 'crefgate-report-cli-'));
  });

  it('writes a passing report of a good log and exits 0', async () => {
    const file = path.join(out, 'good.html');
    const { out: text, code } = await run(['audit', 'report', fx.logPath, '--out', file]);
    assert.equal(code, 0, text);
    assert.match(text, /^verification passed; 12 events; report written to /);
    const html = readFileSync(file, 'utf8');
    const data = island(html);
    assert.equal(data.verification.ok, true);
    assert.equal(data.events.length, 12);
    assert.equal(data.events[1]!.reason, '</script><!-- & "quoted" \u2028', 'the island round-trips the hostile value');
    assert.match(html, /class="banner warn" data-state="warn"/, 'unpinned keys: passed, but not green');
    assert.ok(!/<(link|img|iframe)\b|src=|href="?http/i.test(html.replace(/<script type="application\/json"[\s\S]*?<\/script>/, '')), 'no external asset');
    assert.match(html, /Content-Security-Policy" content="default-src &#39;none&#39;/);
  });

  it('writes a failing report of a tampered log, red with the finding and its seq, and exits 1', async () => {
    const lines = readFileSync(fx.logPath, 'utf8').split('\n');
    lines[4] = lines[4]!.replace('"outcome":"granted"', '"outcome":"denied"');
    const tampered = path.join(out, 'tampered.log');
    writeFileSync(tampered, lines.join('\n'));
    const file = path.join(out, 'tampered.html');
    const { out: text, code } = await run(['audit', 'report', tampered, '--out', file]);
    assert.equal(code, 1);
    assert.match(text, /^verification FAILED \(\d+ finding\(s\)\)/);
    const html = readFileSync(file, 'utf8');
    assert.match(html, /class="banner fail"/);
    assert.ok(!/banner pass|banner warn/.test(html), 'never a passing banner');
    assert.match(html, /<li class="finding" data-kind="modified" data-seq="4"><b>MODIFIED<\/b>/);
    assert.ok(island(html).verification.findings.some((f) => f.kind === 'modified' && f.seq === 4));
  });

  it('names the witnesses whose cosignatures the verifier checked, and an unwitnessed log in red', async () => {
    const witness = signerFromPem('witness.example/w1', generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const file = `${fx.logPath}.checkpoints`;
    const original = readFileSync(file, 'utf8');
    const notes = original.trim().split('\n').map((l) => (JSON.parse(l) as { note: string }).note);
    const last = notes.at(-1)!;
    notes[notes.length - 1] = last + cosign(parseNote(last).text, witness, Math.floor(Date.now() / 1000));
    writeFileSync(file, notes.map((note) => `${JSON.stringify({ note })}\n`).join(''));
    try {
      const witnessed = await generateReport(fx.logPath, { witnessKeys: [cosignerKeyString(witness)] });
      assert.equal(witnessed.verify.ok, true, JSON.stringify(witnessed.verify));
      assert.match(witnessed.html, /witness <b>witness\.example\/w1<\/b> cosigned 12 events/);
      assert.match(witnessed.html, /1 cosignature line\(s\)/);
      const other = signerFromPem('witness.example/w2', generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }));
      const unwitnessed = await generateReport(fx.logPath, { witnessKeys: [cosignerKeyString(other)] });
      assert.equal(unwitnessed.verify.ok, false);
      assert.match(unwitnessed.html, /class="banner fail"/);
      assert.match(unwitnessed.html, /<b>UNWITNESSED<\/b>/);
    } finally {
      writeFileSync(file, original);
    }
  });

  it('is amber, not green, when --allow-unattested lets events without a checkpoint pass', async () => {
    const copy = mkdtempSync(path.join(os.tmpdir(), 'crefgate-report-unattested-'));
    writeFileSync(path.join(copy, 'audit.log'), readFileSync(fx.logPath));
    const file = path.join(out, 'unattested.html');
    const strict = await run(['audit', 'report', path.join(copy, 'audit.log'), '--out', file]);
    assert.equal(strict.code, 1, 'no checkpoints: unattested is a finding');
    assert.match(readFileSync(file, 'utf8'), /<b>UNATTESTED<\/b>/);
    const allowed = await run(['audit', 'report', path.join(copy, 'audit.log'), '--out', file, '--allow-unattested']);
    assert.equal(allowed.code, 0, allowed.out);
    const html = readFileSync(file, 'utf8');
    assert.match(html, /data-state="warn"/);
    assert.match(html, /<h2>Verification passed with 12 event\(s\) no checkpoint attests<\/h2>/);
  });

  it('draws a growing log only up to its size when verification began', async () => {
    const copy = mkdtempSync(path.join(os.tmpdir(), 'crefgate-report-growing-'));
    const log = path.join(copy, 'audit.log');
    const text = readFileSync(fx.logPath, 'utf8');
    const cut = Buffer.byteLength(text.split('\n').slice(0, 7).join('\n')) + 1;
    writeFileSync(log, text);
    const input = await readReportInput(log, new Map([[log, cut]]));
    assert.deepEqual(input.events.map((e) => e.seq), [0, 1, 2, 3, 4, 5, 6]);
    assert.equal((await readReportInput(log)).events.length, 12);
  });

  it('escapes HTML and JSON for their contexts', () => {
    assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;');
    const text = jsonIsland({ s: '</script><!--\u2028&' });
    assert.ok(!/[<>&\u2028]/.test(text), text);
    assert.deepEqual(JSON.parse(text), { s: '</script><!--\u2028&' });
  });
});
