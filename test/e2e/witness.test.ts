/**
 * End to end: a gateway whose audit log is witnessed by `crefgate witness` running in its OWN process, on its own
 * port, with its own key and state. The auditor pins the gateway's checkpoint key and the witness key; a log the
 * witness saw verifies, and the same log rewritten and re-signed with the gateway's own key does not.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { signCheckpoint } from '../../src/audit/log/checkpoint.ts';
import { CompactRange, MerkleTree, leafHash } from '../../src/audit/log/merkle.ts';
import { signerFromPem, verifierKeyString } from '../../src/audit/log/note.ts';
import { formatAddCheckpoint } from '../../src/audit/log/witness_request.ts';
import { rewriteAndRechain } from '../audit/attack_helpers.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const NODE = path.join(ROOT, 'node_modules/.bin/node');
const CLI = path.join(ROOT, 'src/cli.ts');
const ORIGIN = 'e2e.example/gateway-1';

function cli(args: string[]): { status: number | null; out: string } {
  const run = spawnSync(NODE, [CLI, ...args], { encoding: 'utf8', cwd: ROOT });
  return { status: run.status, out: `${run.stdout}${run.stderr}` };
}

/** Starts `crefgate witness serve` in its own process; resolves once it printed its address. */
async function spawnWitness(args: string[]): Promise<{ child: ChildProcess; url: string; output: string[] }> {
  const child = spawn(NODE, [CLI, 'witness', 'serve', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  child.stderr!.on('data', (c: Buffer) => output.push(c.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let text = '';
    child.stdout!.on('data', (c: Buffer) => {
      text += c.toString();
      output.push(c.toString());
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(text);
      if (match !== null) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`witness exited (${code}): ${output.join('')}`)));
    setTimeout(() => reject(new Error(`witness did not start: ${output.join('')}`)), 15_000).unref();
  });
  child.removeAllListeners('exit');
  return { child, url, output };
}

describe('e2e: an off-host witness in its own process', function () {
  this.timeout(60_000);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'crefgate-e2e-witness-'));
  const logKey = path.join(dir, 'gateway-checkpoint.pem');
  const logPath = path.join(dir, 'audit', 'crefgate.log');
  const witnessKey = path.join(dir, 'witness-host', 'witness.pem');
  const stateDir = path.join(dir, 'witness-host', 'state');
  let witness: { child: ChildProcess; url: string; output: string[] };
  let witnessVkey: string;
  let gw: TestGateway | undefined;
  const logVkey = (): string => verifierKeyString(signerFromPem(ORIGIN, readFileSync(logKey)));

  before(async () => {
    writeFileSync(logKey, generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    const { mkdirSync } = await import('node:fs');
    mkdirSync(path.dirname(witnessKey), { recursive: true });
    const keygen = cli(['witness', 'keygen', '--name', 'witness.e2e/w1', '--out', witnessKey]);
    assert.equal(keygen.status, 0, keygen.out);
    witnessVkey = keygen.out.trim();
    assert.match(witnessVkey, /^witness\.e2e\/w1\+[0-9a-f]{8}\+[A-Za-z0-9+/]+=*$/);
    witness = await spawnWitness(['--name', 'witness.e2e/w1', '--key', witnessKey, '--state', stateDir, '--log', logVkey(), '--listen', '127.0.0.1:0']);
  });

  after(async () => {
    await gw?.close();
    if (witness.child.exitCode === null) witness.child.kill('SIGKILL');
  });

  it('the gateway sends every checkpoint; the auditor verifies the log with the witness key', async () => {
    gw = await startGateway({
      mutate: (config) => {
        config.audit.origin = ORIGIN;
        config.audit.signing_key_file = logKey;
        config.audit.sinks = [{ ...config.audit.sinks[0]!, path: logPath } as (typeof config.audit.sinks)[number]];
        config.audit.witnesses = [{ url: witness.url, key: witnessVkey, timeout_ms: 2000, attempts: 3 }];
      },
    });
    const coordinator = gw.client('coordinator');
    const executor = gw.client('executor');
    for (let i = 0; i < 3; i++) {
      const envelope = await coordinator.issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs: { g: 'cref://tenant_abc/github_token' }, ttl: 600 });
      await executor.resolve(envelope, { hmacSecrets: gw.hmac });
    }
    await gw.close();
    gw = undefined;
    assert.ok(readdirSync(stateDir).some((f) => f.endsWith('.json')), 'the witness keeps its own state');

    writeFileSync(path.join(dir, 'pinned.txt'), `${logVkey()}\n`);
    const verified = cli(['audit', 'verify', logPath, '--keys', path.join(dir, 'pinned.txt'), '--witness-key', witnessVkey]);
    assert.equal(verified.status, 0, verified.out);
    assert.match(verified.out, /OK e2e\.example\/gateway-1: (\d+) events, \1 attested by checkpoints, \1 cosigned by witness\.e2e\/w1, 0 finding\(s\)/);
  });

  it('a log rewritten and re-signed with the gateway key passes pinned keys alone but fails against the witness', async () => {
    const forged = path.join(dir, 'forged', 'crefgate.log');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(path.dirname(forged), { recursive: true });
    writeFileSync(forged, readFileSync(logPath));
    rewriteAndRechain(forged, (e) => (e.action === 'resolve' ? { ...e, executor: 'exec-innocent' } : e));
    const lines = readFileSync(forged, 'utf8').split('\n').filter((l) => l !== '');
    const range = new CompactRange();
    for (const line of lines) range.append(leafHash(line));
    const note = signCheckpoint({ origin: ORIGIN, size: range.size, root: range.root(), time: Date.now() }, [signerFromPem(ORIGIN, readFileSync(logKey))]);
    writeFileSync(`${forged}.checkpoints`, `${JSON.stringify({ note })}\n`);
    writeFileSync(`${forged}.keys.json`, readFileSync(`${logPath}.keys.json`));

    const pinnedOnly = cli(['audit', 'verify', forged, '--keys', path.join(dir, 'pinned.txt')]);
    assert.equal(pinnedOnly.status, 0, `with the gateway key the forgery is self-consistent: ${pinnedOnly.out}`);
    const witnessed = cli(['audit', 'verify', forged, '--keys', path.join(dir, 'pinned.txt'), '--witness-key', witnessVkey]);
    assert.equal(witnessed.status, 1, witnessed.out);
    assert.match(witnessed.out, /^UNWITNESSED witness witness\.e2e\/w1: no checkpoint cosigned by witness witness\.e2e\/w1 covers seq \d+ .*the log may have been rewritten on the gateway's host$/m);

    // And the witness, asked to cosign the forged history, refuses it as inconsistent with what it saw.
    const sawSize = Number(/"size":(\d+)/.exec(readFileSync(path.join(stateDir, readdirSync(stateDir).find((f) => f.endsWith('.json'))!), 'utf8'))![1]);
    const proof = new MerkleTree(lines.map((l) => leafHash(l))).consistencyProof(Math.min(sawSize, range.size), range.size);
    const res = await fetch(`${witness.url}/add-checkpoint`, { method: 'POST', body: formatAddCheckpoint({ oldSize: sawSize, proof, note }) });
    assert.ok(res.status === 409 || res.status === 422, `status ${res.status}`);
  });

  it("the witness's latest checkpoint, as a trusted checkpoint, names a truncated log", async () => {
    const latest = cli(['witness', 'latest', '--state', stateDir, '--origin', ORIGIN]);
    assert.equal(latest.status, 0, latest.out);
    writeFileSync(path.join(dir, 'latest.note'), latest.out);
    const pinned = path.join(dir, 'pinned.txt');
    const whole = cli(['audit', 'verify', logPath, '--keys', pinned, '--trusted-checkpoint', path.join(dir, 'latest.note')]);
    assert.equal(whole.status, 0, whole.out);
    // The host attacker cuts the tail and every checkpoint that covered it: only the witness still knows.
    const cut = path.join(dir, 'cut', 'crefgate.log');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(path.dirname(cut), { recursive: true });
    const lines = readFileSync(logPath, 'utf8').split('\n').filter((l) => l !== '');
    writeFileSync(cut, lines.slice(0, lines.length - 2).map((l) => `${l}\n`).join(''));
    const checkpoints = readFileSync(`${logPath}.checkpoints`, 'utf8').split('\n').filter((l) => l !== '');
    writeFileSync(`${cut}.checkpoints`, checkpoints.filter((l) => Number(/\\n(\d+)\\n/.exec(l)![1]) <= lines.length - 2).map((l) => `${l}\n`).join(''));
    const truncated = cli(['audit', 'verify', cut, '--keys', pinned, '--trusted-checkpoint', path.join(dir, 'latest.note'), '--allow-unattested']);
    assert.equal(truncated.status, 1, truncated.out);
    assert.match(truncated.out, /^TRUNCATED trusted checkpoint: trusted checkpoint attests \d+ events; the log ends at seq \d+$/m);
  });

  it('stops on SIGTERM and releases its state folder', async () => {
    const exited = new Promise<number | null>((r) => witness.child.once('exit', r));
    witness.child.kill('SIGTERM');
    assert.equal(await exited, 0, witness.output.join(''));
    assert.equal(existsSync(path.join(stateDir, 'witness.lock')), false);
  });
});
