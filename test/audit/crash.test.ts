import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createAuditTrail } from '../../src/audit/index.ts';
import { verifyAuditPath } from '../../src/audit/verify/verify_path.ts';
import { auditFixture, resolveEvent, writeSigningKey } from './helpers.ts';

/** Whether the checkpoint file holds a checkpoint of a non-empty tree (the note's second line is its size). */
function checkpointed(file: string): boolean {
  try {
    return readFileSync(file, 'utf8').split('\n').some((l) => /^\{"note":"[^\\]*\\n[1-9]/.test(l));
  } catch {
    return false;
  }
}

/** Runs the writer child until it acknowledged `minAcks` events and signed a checkpoint past them, then SIGKILLs it. */
async function crashWhileWriting(config: object, configDir: string, minAcks: number, checkpoints: string): Promise<number[]> {
  const child = spawn(process.execPath, [path.join(import.meta.dirname, 'fixtures/crash_writer.ts'), JSON.stringify(config), configDir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const acked: number[] = [];
  let buffer = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffer += chunk;
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const line of lines) if (line.startsWith('ack ')) acked.push(Number(line.slice(4)));
      // Past a checkpoint of a non-empty tree, not past a fixed time: on a loaded machine 1.5 s may not reach one.
      if (acked.length >= minAcks && checkpointed(checkpoints)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`writer exited early (${code})`)));
  });
  child.removeAllListeners('exit');
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
  return acked;
}

describe('audit crash safety (SIGKILL under load)', function () {
  this.timeout(60_000);

  it('keeps every acknowledged event, reports at most a torn tail, and resumes the chain', async () => {
    const fx = auditFixture({ batch_ms: 2 });
    const config = { ...fx.config, signing_key_file: writeSigningKey(fx.dir) };
    const acked = await crashWhileWriting(config, fx.dir, 3000, `${fx.logPath}.checkpoints`);

    const keys = (JSON.parse(readFileSync(`${fx.logPath}.keys.json`, 'utf8')) as { keys: { vkey: string }[] }).keys;
    const report = await verifyAuditPath(fx.logPath, { keys });
    const kinds = report.logs[0]!.findings.map((f) => f.kind);
    assert.ok(kinds.every((k) => k === 'torn_tail'), `only a torn tail is acceptable after a crash: ${kinds.join(',')}`);
    assert.ok(report.logs[0]!.events >= Math.max(...acked) + 1, 'every acknowledged seq is in the log');
    assert.ok(report.logs[0]!.attested > 0, 'checkpointed events stay attested');

    const trail = await createAuditTrail(config, { configDir: fx.dir });
    const next = await trail.record(resolveEvent(999_999));
    await trail.close();
    assert.equal(next.seq, report.logs[0]!.events, 'the chain resumes right after the last complete line');
    const after = await verifyAuditPath(fx.logPath, { keys });
    assert.equal(after.ok, true, JSON.stringify(after.logs[0]!.findings.slice(0, 3)));
  });
});
