/**
 * Two embedded defaults side by side (issue 17): each listener has its own port override (CREFGATE_PORT,
 * CREFGATE_OPS_PORT), the start-up message says the ports, and a clash is one line naming the override instead
 * of a stack. Regression: CREFGATE_PORT alone left the ops port at 9464, so the second instance died with
 * EADDRINUSE.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import { freePort } from '../helpers/redis_server.ts';
import { makeTempFolder, until } from '../helpers/kit.ts';

interface Instance {
  child: ChildProcess;
  stderr: () => string;
}

/** `crefgate dev` (what `npm start` runs) in its own state folder, with the given environment overrides. */
function start(dir: string, env: Record<string, string>, args: string[] = []): Instance {
  const child = spawn(process.execPath, ['src/cli.ts', 'dev', '--dir', dir, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let text = '';
  child.stderr!.on('data', (chunk: Buffer) => void (text += chunk.toString()));
  return { child, stderr: () => text };
}

const health = (port: number) =>
  new Promise<number>((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/v1/sys/health' }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject);
  });

async function stop(instance: Instance): Promise<number | null> {
  if (instance.child.exitCode !== null) return instance.child.exitCode;
  const exited = once(instance.child, 'exit');
  instance.child.kill('SIGTERM');
  const [code] = (await exited) as [number | null];
  return code;
}

describe('two embedded defaults side by side', function () {
  this.timeout(60_000);
  const dirs: Array<{ path: string; remove: () => Promise<void> }> = [];
  const running: Instance[] = [];
  const folder = async () => {
    const dir = await makeTempFolder('crefgate-side-');
    dirs.push(dir);
    return dir.path;
  };
  afterEach(async () => {
    for (const instance of running.splice(0)) await stop(instance);
    for (const dir of dirs.splice(0)) await dir.remove();
  });

  it('run with their own gateway and ops ports, each said in the start-up message', async () => {
    const [a, b] = [await freePort(), await freePort()];
    const [opsA, opsB] = [await freePort(), await freePort()];
    const first = start(await folder(), { CREFGATE_PORT: String(a), CREFGATE_OPS_PORT: String(opsA) });
    // The second one by flags, as `npm start -- --port … --ops-port …` passes them.
    const second = start(await folder(), {}, ['--port', String(b), '--ops-port', String(opsB)]);
    running.push(first, second);
    for (const [instance, port, ops] of [[first, a, opsA], [second, b, opsB]] as const) {
      await until('start-up message', async () => (instance.stderr().includes('embedded default is running') ? true : undefined), 40_000);
      assert.equal(await health(ops), 200, 'its ops listener answers on its own port');
      assert.match(instance.stderr(), new RegExp(`running on https://127\\.0\\.0\\.1:${port} `));
      assert.match(instance.stderr(), new RegExp(`ports: gateway ${port} \\(CREFGATE_PORT or --port\\), ops ${ops} \\(CREFGATE_OPS_PORT or --ops-port\\)`));
    }
    assert.equal(await stop(first), 0);
    assert.equal(await stop(second), 0);
  });

  it('a clash on the ops port is one line naming CREFGATE_OPS_PORT, exit 1, no stack', async () => {
    const ops = await freePort();
    const first = start(await folder(), { CREFGATE_PORT: String(await freePort()), CREFGATE_OPS_PORT: String(ops) });
    running.push(first);
    await until('first instance', async () => (first.stderr().includes('embedded default is running') ? true : undefined), 40_000);
    const second = start(await folder(), { CREFGATE_PORT: String(await freePort()), CREFGATE_OPS_PORT: String(ops) });
    const [code] = (await once(second.child, 'exit')) as [number | null];
    assert.equal(code, 1);
    const last = second.stderr().trim().split('\n').at(-1)!;
    assert.match(last, new RegExp(`^crefgate: listen EADDRINUSE.*${ops}: another process holds one of this instance's ports: .*ops ${ops} \\(CREFGATE_OPS_PORT\\)`));
    assert.doesNotMatch(second.stderr(), /^\s+at /m);
  });

  it('refuses a port override that is not a port, naming the variable', async () => {
    const bad = start(await folder(), { CREFGATE_OPS_PORT: 'ninety' });
    const [code] = (await once(bad.child, 'exit')) as [number | null];
    assert.equal(code, 1);
    assert.match(bad.stderr(), /crefgate: CREFGATE_OPS_PORT \(ops\.port\): not a port: ninety/);
  });
});
