/**
 * The progress line: drawn in place on a terminal (a unit test with an injected TTY stream, and the real CLI under
 * a pseudo-terminal from `script`), and nothing at all on stderr when it is a pipe.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createAuditTrail } from '../../src/audit/index.ts';
import { Progress } from '../../src/cli/progress.ts';
import { auditFixture, resolveEvent, writeSigningKey } from '../audit/helpers.ts';

const NODE = path.resolve('node_modules/.bin/node');
const CLI = path.resolve('src/cli.ts');

/** The line's redraw prefix (carriage return, erase line) made visible, for matching. */
const visible = (text: string) => text.replaceAll('\r\x1b[2K', '<redraw>');

function ttyStream(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, stream: { isTTY, columns: 200, write: (text: string) => writes.push(text) } };
}

describe('audit progress line', function () {
  this.timeout(30_000);
  let logPath: string;

  before(async () => {
    const fx = auditFixture();
    const trail = await createAuditTrail({ ...fx.config, signing_key_file: writeSigningKey(fx.dir) }, { configDir: fx.dir });
    for (let batch = 0; batch < 20; batch++) await Promise.all(Array.from({ length: 100 }, (_, i) => trail.record(resolveEvent(batch * 100 + i))));
    await trail.close();
    logPath = fx.logPath;
  });

  it('on a terminal shows events, bytes, percent, rate and ETA, redrawn in place and throttled', () => {
    let clock = 1_000_000;
    const { writes, stream } = ttyStream(true);
    const progress = new Progress('verify', { totalBytes: 4 * 1024 * 1024, stream, now: () => clock, timer: false, intervalMs: 200 });
    clock += 1000;
    progress.add(10_000, 1024 * 1024);
    progress.add(10, 1024); // within 200 ms of the last redraw: counted, not drawn
    assert.equal(writes.length, 1);
    assert.equal(writes[0], '\r\x1b[2Kverify: 10,000 events · 1.0 MB of 4.0 MB (25%) · 10,000 events/s · 1.0 MB/s · ETA 0:03');
    clock += 1000;
    progress.add(0, 0);
    assert.match(visible(writes[1]!), /^<redraw>verify: 10,010 events · 1.0 MB of 4.0 MB \(25%\) · 5,005 events\/s/);
    progress.done();
    assert.match(writes.at(-2)!, /elapsed|ETA/);
    assert.match(writes.at(-2)!, /· done$/);
    assert.equal(writes.at(-1), '\n', 'the final line is kept and ended');
  });

  it('writes nothing at all when the stream is not a terminal', () => {
    const { writes, stream } = ttyStream(false);
    const progress = new Progress('verify', { totalBytes: 100, stream, timer: false });
    progress.add(5, 50);
    progress.setPhase('checking');
    progress.done();
    assert.deepEqual(writes, []);
    assert.equal(progress.active, false);
  });

  it('verify, export, query and report keep stderr silent when it is a pipe', () => {
    const dir = path.dirname(logPath);
    const runs: [string[], RegExp][] = [
      [['verify', logPath], /verification passed/],
      [['export', '--logs', logPath, '--out', path.join(dir, '..', 'bundle'), '--signing-key', writeSigningKey(path.join(dir, '..'), 'export.pem')], /bundle written/],
      [['query', '--logs', logPath, '--executor', 'exec-1'], /^TIME +LOG#SEQ/],
      [['report', logPath, '--out', path.join(dir, '..', 'report.html')], /report written to/],
    ];
    for (const [args, expected] of runs) {
      const run = spawnSync(NODE, [CLI, 'audit', ...args], { encoding: 'utf8' });
      assert.equal(run.status, 0, `${args[0]}: ${run.stdout}${run.stderr}`);
      assert.match(run.stdout, expected);
      assert.equal(run.stderr, '', `audit ${args[0]} wrote to a piped stderr`);
    }
  });

  it('the CLI draws the progress line under a pseudo-terminal', function () {
    if (!existsSync('/usr/bin/script')) this.skip(); // util-linux script gives the child a pty
    const command = `${NODE} ${CLI} audit verify ${logPath}`;
    const run = spawnSync('/usr/bin/script', ['-qec', command, '/dev/null'], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stdout);
    assert.match(visible(run.stdout), /<redraw>verify: 2,000 events · [\d.]+ (kB|MB) of [\d.]+ (kB|MB) \(100%\) · [\d,]+ events\/s · [\d.]+ (kB|MB)\/s · elapsed \d+:\d\d · done/);
    assert.match(run.stdout, /verification passed/);
    const report = spawnSync('/usr/bin/script', ['-qec', `${NODE} ${CLI} audit report ${logPath} --out ${path.join(path.dirname(logPath), '..', 'pty.html')}`, '/dev/null'], { encoding: 'utf8' });
    assert.match(visible(report.stdout), /<redraw>report \(verify, then page\): 4,000 events · [\d.]+ (kB|MB) of [\d.]+ (kB|MB) \(100%\) .* · done\r?\n/, 'the log is read twice: verified, then drawn');
  });
});
