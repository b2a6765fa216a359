/**
 * The report in a real browser (Debian's chromium through playwright-core, network off), drawn from a real run
 * exported with the real exporter: counts match the bundle, filters narrow the tables, a tampered bundle shows
 * its findings in red, hostile field values stay text, no secret is on the page, and a screenshot is taken.
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createAuditTrail } from '../../src/audit/index.ts';
import { generateReport } from '../../src/audit/report/generate_report.ts';
import type { TrustedKey } from '../../src/audit/verify/verify_evidence.ts';
import { auditFixture, resolveEvent, writeSigningKey } from '../audit/helpers.ts';
import { demoRun, type DemoRun } from './demo_run.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'];

interface Line {
  seq: number;
  time: string;
  action: string;
  outcome: string;
  code?: string;
  job_id?: string;
  lease_ids?: string[];
}

describe('audit report in a browser', function () {
  this.timeout(60_000);
  let browser: Browser;
  let context: BrowserContext;
  let run: DemoRun;
  let out: string;
  let keys: TrustedKey[];
  let lines: Line[];
  const requests: string[] = [];
  const pageErrors: string[] = [];

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      console.log(`    skipped: no browser at ${CHROMIUM} (.ci/run installs Debian's chromium)`);
      this.skip();
    }
    run = await demoRun();
    out = mkdtempSync(path.join(os.tmpdir(), 'crefgate-report-html-'));
    keys = readFileSync(run.keysFile, 'utf8').trim().split('\n').map((vkey) => ({ vkey }));
    lines = readFileSync(path.join(run.bundle, 'logs/0/events.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Line);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.setOffline(true);
    // Anything but the report file itself is recorded and refused: the page must need nothing else.
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:')) return route.continue();
      requests.push(url);
      return route.abort();
    });
  });

  after(async () => {
    await browser?.close();
    await run?.close();
  });

  async function open(target: string, name: string, pinned: TrustedKey[] | 'unpinned' = keys): Promise<Page> {
    const { html, verify } = await generateReport(target, { keys: pinned === 'unpinned' ? undefined : pinned });
    const file = path.join(out, name);
    writeFileSync(file, html);
    const page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(String(err)));
    page.on('console', (msg) => (msg.type() === 'error' ? pageErrors.push(msg.text()) : undefined));
    await page.goto(pathToFileURL(file).href);
    await page.locator('#app:not([hidden])').waitFor();
    assert.equal(verify.ok, name.startsWith('good'), `verifier verdict for ${name}`);
    return page;
  }

  const count = async (page: Page, name: string) => (await page.locator(`[data-count="${name}"] b`).textContent())!;

  it('shows a green banner and counts that match the exported bundle', async () => {
    const page = await open(run.bundle, 'good.html');
    assert.equal(await page.locator('#banner').getAttribute('data-state'), 'pass');
    assert.match((await page.locator('#banner h2').textContent())!, /^Verification passed/);
    assert.equal(await count(page, 'events'), String(lines.length));
    assert.equal(await count(page, 'refusals'), String(lines.filter((l) => l.outcome === 'denied').length));
    assert.equal(await count(page, 'alerts'), String(lines.filter((l) => l.action === 'alert').length));
    assert.equal(await count(page, 'ratelimits'), String(lines.filter((l) => l.code === 'rate_limited').length));
    assert.equal(await count(page, 'jobs'), String(new Set(lines.flatMap((l) => (l.job_id === undefined ? [] : [l.job_id]))).size));
    assert.ok(Number(await count(page, 'alerts')) >= 1 && Number(await count(page, 'ratelimits')) === 1, 'the run had a replay alert and one rate-limit hit');
    assert.equal(await page.locator('#events tr[data-log]').count(), lines.length);
    assert.equal(await page.locator('#chart svg rect').count() > 0, true, 'the chart is drawn');
    assert.equal(await page.locator('#refusals tr[data-step="nonce"][data-code="replayed"] td').nth(2).textContent(), '1');
    // The dynamic job's story ends with its Vault lease revoked at Vault, the revoked job's with its coordinator.
    const dynamic = page.locator(`details[data-job="${run.jobs.dynamic}"]`);
    assert.match((await dynamic.locator('summary').textContent())!, /issued, 1 resolve\(s\) granted, 1 refused, 1 renewal\(s\), completed/);
    const outcomes = await dynamic.locator('table.leases td:nth-child(4)').allTextContents();
    assert.equal(outcomes.length, 2);
    assert.ok(outcomes.some((o) => /^job completed at .*; revoked at backend mount vault/.test(o)), outcomes.join(' | '));
    assert.ok(outcomes.some((o) => /^job completed at .*; no backend revocation recorded/.test(o)), outcomes.join(' | '));
    const revoked = await page.locator(`details[data-job="${run.jobs.revoked}"] table.leases td:nth-child(4)`).textContent();
    assert.match(revoked!, /^revoked at /);
    await dynamic.evaluate((d) => d.setAttribute('open', ''));
    assert.ok(await dynamic.locator('table.leases').isVisible(), 'a job opens to its story');
    await page.screenshot({ path: path.join(out, 'report.png'), fullPage: true });
    assert.ok(statSync(path.join(out, 'report.png')).size > 20_000, 'a real screenshot');
    // The docs' picture (docs/images/audit-report.png): the banner down to the opened job's lease outcomes.
    const docs = process.env.CREFGATE_REPORT_SCREENSHOT;
    if (docs !== undefined) await page.screenshot({ path: docs, fullPage: true, clip: { x: 0, y: 0, width: 1280, height: 1880 } });
    await page.close();
  });

  it('narrows every table with the job and time filters, offline', async () => {
    const page = await open(run.bundle, 'good-filter.html');
    const job = run.jobs.revoked;
    await page.locator('#f-job').selectOption(job);
    const mine = lines.filter((l) => l.job_id === job);
    assert.equal(await count(page, 'events'), `${mine.length} of ${lines.length}`);
    const jobCells = await page.locator('#events tr[data-log] td:nth-child(8)').allTextContents();
    assert.equal(jobCells.length, mine.length);
    assert.ok(jobCells.length < lines.length && jobCells.every((c) => c.startsWith(job)), jobCells.join(','));
    assert.equal(await page.locator('details.job').count(), 1);
    const bins = await page.locator('#chart svg g title').allTextContents();
    const charted = bins.reduce((n, t) => n + Number(/: (\d+) granted\/ok, (\d+) refused/.exec(t)![1]) + Number(/, (\d+) refused/.exec(t)![1]), 0);
    assert.equal(charted, mine.length, 'the chart counts the filtered events');
    await page.locator('#f-reset').click();
    const from = lines[Math.floor(lines.length / 2)]!.time;
    await page.locator('#f-from').fill(from);
    await page.locator('#f-from').dispatchEvent('change');
    assert.equal(await page.locator('#events tr[data-log]').count(), lines.filter((l) => Date.parse(l.time) >= Date.parse(from)).length);
    await page.locator('#f-until').fill('not a time');
    await page.locator('#f-until').dispatchEvent('change');
    assert.match((await page.locator('#f-error').textContent())!, /until: not a time/);
    assert.deepEqual(requests, [], 'the page asked for nothing beyond its own file');
    assert.deepEqual(pageErrors, []);
    await page.close();
  });

  it('shows a tampered bundle in red, naming each finding and the affected seqs', async () => {
    const tampered = mkdtempSync(path.join(os.tmpdir(), 'crefgate-report-tampered-'));
    cpSync(run.bundle, tampered, { recursive: true });
    const file = path.join(tampered, 'logs/0/events.ndjson');
    const edited = readFileSync(file, 'utf8').split('\n');
    const victim = lines.findIndex((l) => l.outcome === 'denied');
    edited[victim] = edited[victim]!.replace('"outcome":"denied"', '"outcome":"granted"');
    writeFileSync(file, edited.join('\n'));
    const page = await open(tampered, 'tampered.html');
    assert.equal(await page.locator('#banner').getAttribute('data-state'), 'fail');
    assert.match((await page.locator('#banner h2').textContent())!, /^Verification FAILED: \d+ finding/);
    const findings = await page.locator('#findings li').allTextContents();
    assert.ok(findings.some((f) => f.startsWith(`MODIFIED crefgate/`) && f.includes(`seq ${lines[victim]!.seq}`)), findings.join('\n'));
    assert.ok(findings.some((f) => f.startsWith('BAD_MANIFEST')), 'the manifest hash of the edited file no longer matches');
    assert.match((await page.locator('#affected-seqs').textContent())!, new RegExp(`#${lines[victim]!.seq}\\b`));
    assert.equal(await page.locator(`#events tr.flagged[data-log$="#${lines[victim]!.seq}"]`).count(), 1);
    assert.equal(await page.locator('.banner.pass').count(), 0, 'never a green banner');
    await page.close();
  });

  it('keeps hostile field values as text and puts no secret, token, nonce or HMAC on the page', async () => {
    const fx = auditFixture({ origin: 'hostile.example/replica-1' });
    const trail = await createAuditTrail({ ...fx.config, signing_key_file: writeSigningKey(fx.dir) }, { configDir: fx.dir });
    const hostile = '</script><script>window.pwned=1</script><img src=x onerror="window.pwned=2">';
    for (let n = 0; n < 6; n++) await trail.record({ ...resolveEvent(n, n % 2 === 0 ? 'tenant_a' : 'tenant_b'), reason: n === 0 ? hostile : undefined });
    await trail.close();
    const page = await open(path.dirname(fx.logPath), 'good-hostile.html', 'unpinned');
    assert.equal(await page.locator('#banner').getAttribute('data-state'), 'warn', 'passed, but against keys found next to the log');
    assert.equal(await page.evaluate(() => (globalThis as { pwned?: unknown }).pwned), undefined);
    assert.ok((await page.locator('#events').textContent())!.includes(hostile), 'shown literally');
    // Tenant and executor filters: resolveEvent(n) is for exec-(n % 3); tenants alternate.
    await page.locator('#f-tenant').selectOption('tenant_b');
    assert.deepEqual(await page.locator('#events tr[data-log] td:nth-child(7)').allTextContents(), ['tenant_b', 'tenant_b', 'tenant_b']);
    await page.locator('#f-executor').selectOption('exec-1');
    assert.deepEqual(await page.locator('#events tr[data-log] td:nth-child(2)').allTextContents(), ['hostile.example/replica-1#1']);
    assert.equal(await count(page, 'events'), '1 of 6');
    const html = readFileSync(path.join(out, 'good-hostile.html'), 'utf8') + readFileSync(path.join(out, 'good.html'), 'utf8');
    const page2 = await page.content();
    for (const text of [html, page2]) {
      assert.ok(!text.includes('super-secret-token-value') && !text.includes('nonce-7f3a9c1d2e4b5a6f'), 'seeded secrets');
      assert.ok(!text.includes('hmac-sha256:'), 'not even their HMACs');
      for (const secret of run.secrets) assert.ok(!text.includes(secret), 'a secret, token or nonce of the real run');
    }
    assert.ok(run.secrets.length >= 10, 'the run handed out secrets to look for');
    assert.deepEqual(requests, []);
    await page.close();
  });
});
