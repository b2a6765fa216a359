/**
 * Graceful shutdown of the real process: `crefgate serve` under a burst of resolves gets SIGTERM. Every answered
 * resolve must have its audit line, every granted audit line must have reached its client (no lease issued and
 * lost in the shutdown), the process must exit 0, and the audit log must verify.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CrefgateClient, type ResolveResult } from '../../src/client/index.ts';
import { ensureDevState } from '../../src/dev/bootstrap.ts';
import { tempFolder } from '../helpers/kit.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CLI = path.join(ROOT, 'src', 'cli.ts');

/** Waits for the JSON log line with `msg` on the child's stderr. */
function waitForLog(child: ChildProcess, msg: string, output: string[]): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "${msg}" log line: ${output.join('')}`)), 20_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      output.push(chunk.toString());
      for (const line of chunk.toString().split('\n')) {
        if (!line.startsWith('{')) continue;
        const parsed = JSON.parse(line) as Record<string, unknown>;
        if (parsed.msg === msg) {
          clearTimeout(timer);
          resolve(parsed);
        }
      }
    });
    child.once('exit', (code) => reject(new Error(`exited ${code} before "${msg}": ${output.join('')}`)));
  });
}

describe('ops: graceful shutdown under load', function () {
  this.timeout(60_000);
  const tmp = tempFolder('crefgate-shutdown-');

  before(async () => {
    await ensureDevState(tmp.path, 0);
  });

  it('on SIGTERM answers or refuses each resolve whole, loses no audit event, exits 0, and the log verifies', async () => {
    const output: string[] = [];
    const child = spawn(process.execPath, [CLI, 'serve', '--config', path.join(tmp.path, 'config.yaml')], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, CREFGATE_LOG_LEVEL: 'info' } });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const listening = await waitForLog(child, 'crefgate listening', output);
    const client = (name: string) =>
      new CrefgateClient({
        url: `https://127.0.0.1:${String(listening.port)}`,
        ca: readFileSync(path.join(tmp.path, 'pki', 'ca.crt')),
        cert: readFileSync(path.join(tmp.path, 'clients', `${name}.crt`)),
        key: readFileSync(path.join(tmp.path, 'clients', `${name}.key`)),
      });
    const coordinator = client('coordinator');
    const executors = Array.from({ length: 8 }, () => client('executor'));
    try {
      const issue = (count: number) =>
        Promise.all(
          Array.from({ length: count }, () => coordinator.issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs: { github: 'cref://tenant_abc/github_token', db: 'cref://tenant_abc/db' }, ttl: 600 })),
        );
      const envelopes = await issue(60);
      const lateEnvelopes = await issue(10);
      const attempt = async (executor: CrefgateClient, envelope: (typeof envelopes)[number]) => {
        try {
          return { envelope, result: await executor.resolve(envelope) };
        } catch (err) {
          return { envelope, err };
        }
      };
      // Fire every resolve, and SIGTERM as soon as the first has been answered: the rest are in flight. Then
      // a late wave on new connections, which the closed listener must refuse.
      let late: Promise<Array<Awaited<ReturnType<typeof attempt>>>> = Promise.resolve([]);
      const outcomes = await Promise.all(
        envelopes.map(async (envelope, i) => {
          const outcome = await attempt(executors[i % executors.length]!, envelope);
          if (child.signalCode === null && !child.killed) {
            child.kill('SIGTERM');
            const fresh = client('executor');
            late = Promise.all(lateEnvelopes.map((e) => attempt(fresh, e))).finally(() => fresh.close());
          }
          return outcome;
        }),
      );
      outcomes.push(...(await late));
      assert.equal(await exited, 0, output.join(''));
      // A refused resolve was never started by the server: the connection was refused or closed before a request
      // was read. The gateway itself never answers a half-done or failed resolve while draining.
      for (const o of outcomes) {
        if ('err' in o) assert.match(String((o.err as { code?: string }).code ?? o.err), /ECONNREFUSED|ECONNRESET|EPIPE|socket hang up/, String(o.err));
      }

      const answered = outcomes.filter((o): o is { envelope: (typeof envelopes)[number]; result: ResolveResult } => 'result' in o);
      assert.ok(answered.length >= 1);
      const lines = (await readFile(path.join(tmp.path, 'audit', 'crefgate.log'), 'utf8')).split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { action: string; outcome: string; job_id?: string; lease_ids?: string[] });
      const granted = new Map(lines.filter((l) => l.action === 'resolve' && l.outcome === 'granted').map((l) => [l.job_id!, l.lease_ids!]));
      for (const { envelope, result } of answered) {
        const leases = Object.values(result.secrets).map((s) => s.lease_id).sort();
        assert.deepEqual(granted.get(envelope.payload.job_id)?.slice().sort(), leases, 'an answered resolve has its audit line with its leases');
      }
      assert.equal(granted.size, answered.length, 'every granted resolve reached its client: no lease issued and lost');
      assert.ok(output.join('').includes('shutting down'), 'the shutdown was the graceful one');

      const verify = spawnSync(process.execPath, [CLI, 'audit', 'verify', path.join(tmp.path, 'audit', 'crefgate.log')], { encoding: 'utf8' });
      assert.equal(verify.status, 0, `${verify.stdout}${verify.stderr}`);
    } finally {
      coordinator.close();
      for (const e of executors) e.close();
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
