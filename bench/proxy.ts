/**
 * `node bench/proxy.ts [flags]`: what proxy delivery costs. One upstream (its own process), one crefgate (its own
 * process: `crefgate serve`, memory state, file audit sink with group commit), the load generator here. The same
 * small GET goes to the upstream directly (with the credential) and through the proxy (credential injected),
 * same run, same connections count:
 *   1. latency at concurrency 1 (unloaded): p50/p99 of each, and the added latency
 *   2. throughput at --concurrency for --requests each: requests/s of each, and the proxied/direct ratio
 *   3. the floor: the same throughput through a bare Node forwarder (bench/proxy_bare.ts: node:http in and out,
 *      nothing else), so what crefgate costs above what any Node forwarder costs on this machine is measured
 * Targets (issue 20): p50 added ≤ 1 ms, throughput ≥ 70 % of direct. Flags: --requests 8000 --latency-requests
 * 2000 --concurrency 32 --upstream-delay-ms 0 --json <file>. CREFGATE_BENCH_PROF=<dir> CPU-profiles the gateway,
 * CREFGATE_BENCH_STRACE=<file> counts its system calls (strace -c).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parse, stringify } from 'yaml';
import { numberFlag, parseFlags } from '../src/cli/flags.ts';
import { CrefgateClient } from '../src/client/index.ts';
import { ensureDevState } from '../src/dev/bootstrap.ts';
import { openEntry, readSealedFile } from '../adapters/local/sealed_file.ts';
import { closedLoop, openConnections, quantile, type LoadResult, type TlsIdentity } from './load.ts';

const SPEC = {
  name: 'node bench/proxy.ts',
  usage: `node bench/proxy.ts [--requests 8000] [--latency-requests 2000] [--concurrency 32] [--upstream-delay-ms 0] [--json <file>]
Proxy delivery: added latency (p50/p99) and throughput, proxied against direct, same upstream, same run; and the
floor: the same throughput through a bare Node forwarder (bench/proxy_bare.ts).`,
  options: {
    requests: { type: 'string', default: '8000' },
    'latency-requests': { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '32' },
    // Service time of the upstream (ms): 0 measures the proxy against a bare Node server, the worst case for it.
    'upstream-delay-ms': { type: 'string', default: '0' },
    json: { type: 'string' },
  },
} as const;
const { values: flags } = parseFlags(SPEC);
const requests = numberFlag(SPEC, '--requests', flags.requests, 1);
const latencyRequests = numberFlag(SPEC, '--latency-requests', flags['latency-requests'], 1);
const concurrency = numberFlag(SPEC, '--concurrency', flags.concurrency, 1);
const upstreamDelayMs = numberFlag(SPEC, '--upstream-delay-ms', flags['upstream-delay-ms'], 0);
const MAX_PHASE_MS = 120_000;
const out = (line: string) => process.stdout.write(`${line}\n`);
const fixed = (n: number, d = 2) => n.toFixed(d);

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Spawns a Node child; `first` is its first stdout line. */
async function child(args: string[], env: NodeJS.ProcessEnv, quiet = false): Promise<{ proc: ChildProcess; first: Promise<string> }> {
  // A quiet child (the gateway, which logs every request) writes to /dev/null, not to a pipe this busy process drains.
  const wrap = quiet && process.env.CREFGATE_BENCH_STRACE !== undefined ? ['strace', '-f', '-c', '-o', process.env.CREFGATE_BENCH_STRACE, process.execPath] : [process.execPath];
  const proc = spawn(wrap[0]!, [...wrap.slice(1), ...args], { env: { ...process.env, ...env }, stdio: quiet ? 'ignore' : ['ignore', 'pipe', 'inherit'] });
  if (quiet) return { proc, first: Promise.resolve('') };
  const lines = createInterface({ input: proc.stdout! });
  const first = new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    proc.once('exit', (code) => reject(new Error(`${args[0]} exited with ${code}`)));
  });
  // After the first line, drain stdout (the gateway logs every request) so the pipe never blocks it.
  void first.then(() => lines.on('line', () => undefined), () => undefined);
  return { proc, first };
}

async function waitForPort(port: number, deadlineMs: number): Promise<void> {
  for (const end = Date.now() + deadlineMs; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
  }
  throw new Error(`nothing listening on ${port}`);
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); NaN elsewhere. */
function cpuSeconds(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return Number.NaN;
  }
}

function summary(name: string, run: LoadResult) {
  const sorted = [...run.latencies].sort((a, b) => a - b);
  const ok = run.statuses.get(200) ?? 0;
  return { name, requests: run.latencies.length, ok, statuses: Object.fromEntries(run.statuses), throughput: ok / (run.elapsedMs / 1000), p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99) };
}

const dir = await mkdtemp(path.join(tmpdir(), 'crefgate-proxy-bench-'));
const children: ChildProcess[] = [];
try {
  const gatewayPort = await freePort();
  const dev = await ensureDevState(dir, gatewayPort);
  const key = Buffer.from(readFileSync(path.join(dir, 'keys', 'local-store.key'), 'utf8').trim(), 'base64');
  const store = await readSealedFile(path.join(dir, 'local-secrets.json'), 'local-1');
  const token = openEntry(key, 'tenants/tenant_abc/github_token', store.entries['tenants/tenant_abc/github_token']!) as string;
  const caFile = path.join(dir, 'upstream-ca.pem');
  const upstream = await child([path.join(import.meta.dirname, 'proxy_upstream.ts'), caFile], { CREFGATE_BENCH_EXPECTED: `token ${token}`, CREFGATE_BENCH_DELAY_MS: String(upstreamDelayMs) });
  children.push(upstream.proc);
  const upstreamPort = (JSON.parse(await upstream.first) as { port: number }).port;
  // The floor: a bare Node forwarder (bench/proxy_bare.ts) between the same load generator and the same upstream.
  const bareCaFile = path.join(dir, 'bare-ca.pem');
  const bare = await child([path.join(import.meta.dirname, 'proxy_bare.ts'), bareCaFile, `https://127.0.0.1:${upstreamPort}`, caFile], { CREFGATE_BENCH_EXPECTED: `token ${token}` });
  children.push(bare.proc);
  const barePort = (JSON.parse(await bare.first) as { port: number }).port;

  const config = parse(await readFile(dev.configFile, 'utf8')) as Record<string, unknown> & { routes: unknown[]; ops: Record<string, unknown> };
  config.routes.unshift({
    cref: 'cref://{tenant}/gh/{name}', mount: 'local', path: 'tenants/{tenant}/{name}',
    proxy: { upstream: `https://127.0.0.1:${upstreamPort}`, methods: ['GET'], path_prefixes: ['/repos/'], inject: { kind: 'header', template: 'token {value}' }, ca_file: caFile },
  });
  config.ops = { ...config.ops, port: 0 };
  await writeFile(dev.configFile, stringify(config));
  const gateway = await child([...(process.env.CREFGATE_BENCH_PROF === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${process.env.CREFGATE_BENCH_PROF}`]), path.join(import.meta.dirname, '..', 'src', 'cli.ts'), 'serve', '--config', dev.configFile], {}, true);
  children.push(gateway.proc);
  await waitForPort(gatewayPort, 20_000);

  const pem = (f: string) => readFileSync(path.join(dir, f));
  const as = (name: string) => new CrefgateClient({ url: `https://127.0.0.1:${gatewayPort}`, ca: pem('pki/ca.crt'), cert: pem(`clients/${name}.crt`), key: pem(`clients/${name}.key`) });
  const coordinator = as('coordinator');
  const executorClient = as('executor');
  const envelope = await coordinator.issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs: { gh: 'cref://tenant_abc/gh/github_token' }, ttl: 3600, delivery: { gh: 'proxy' } });
  const { secrets } = await executorClient.resolve(envelope);
  const leaseId = secrets.gh!.lease_id;
  coordinator.close();

  const executor: TlsIdentity = { ca: pem('pki/ca.crt'), cert: pem('clients/executor.crt'), key: pem('clients/executor.key') };
  const direct: TlsIdentity = { ca: readFileSync(caFile), cert: executor.cert, key: executor.key };
  const directRequest = Buffer.from(`GET /repos/octo/bench HTTP/1.1\r\nhost: 127.0.0.1:${upstreamPort}\r\nauthorization: token ${token}\r\n\r\n`);
  const proxiedRequest = Buffer.from(`GET /v1/proxy/${leaseId}/repos/octo/bench HTTP/1.1\r\nhost: 127.0.0.1:${gatewayPort}\r\n\r\n`);
  const counted = (bytes: Buffer, n: number) => {
    let left = n;
    return () => (left-- > 0 ? bytes : undefined);
  };
  const phase = async (name: string, port: number, identity: TlsIdentity, bytes: Buffer, n: number, connections: number) => {
    const conns = await openConnections(port, identity, connections);
    await closedLoop(conns, counted(bytes, Math.min(500, n)), MAX_PHASE_MS); // warm-up: JIT, keep-alive to the upstream
    // CPU per request of each server process: what the proxy costs, whatever else the machine is doing.
    const forwarder = port === barePort ? bare.proc.pid : gateway.proc.pid;
    const cpu0 = [cpuSeconds(forwarder), cpuSeconds(upstream.proc.pid)];
    const run = await closedLoop(conns, counted(bytes, n), MAX_PHASE_MS);
    const cpu1 = [cpuSeconds(forwarder), cpuSeconds(upstream.proc.pid)];
    for (const c of conns) c.close();
    const perRequestUs = (i: number) => ((cpu1[i]! - cpu0[i]!) / Math.max(1, run.latencies.length)) * 1e6;
    return { ...summary(name, run), gatewayCpuUs: perRequestUs(0), upstreamCpuUs: perRequestUs(1) };
  };

  // The machine's load goes with the figures: throughput on a shared 2-core machine moves with it, CPU per request much less.
  const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
  out(`proxy bench: ${latencyRequests} sequential requests, then ${requests} at concurrency ${concurrency}, each direct and proxied; upstream service time ${upstreamDelayMs} ms; load average ${load()}`);
  const latDirect = await phase('direct c=1', upstreamPort, direct, directRequest, latencyRequests, 1);
  const latProxied = await phase('proxied c=1', gatewayPort, executor, proxiedRequest, latencyRequests, 1);
  const tpDirect = await phase(`direct c=${concurrency}`, upstreamPort, direct, directRequest, requests, concurrency);
  const tpProxied = await phase(`proxied c=${concurrency}`, gatewayPort, executor, proxiedRequest, requests, concurrency);
  const bareRequest = Buffer.from(`GET /repos/octo/bench HTTP/1.1\r\nhost: 127.0.0.1:${barePort}\r\n\r\n`);
  const tpBare = await phase(`bare fwd c=${concurrency}`, barePort, { ...executor, ca: readFileSync(bareCaFile) }, bareRequest, requests, concurrency);
  for (const s of [latDirect, latProxied, tpDirect, tpProxied, tpBare]) {
    out(`  ${s.name.padEnd(16)} ${String(s.ok).padStart(6)} ok  ${fixed(s.throughput, 0).padStart(7)} req/s  p50 ${fixed(s.p50, 3)} ms  p99 ${fixed(s.p99, 3)} ms  CPU/request: forwarder ${fixed(s.gatewayCpuUs, 0)} µs, upstream ${fixed(s.upstreamCpuUs, 0)} µs  statuses ${JSON.stringify(s.statuses)}`);
  }
  const added = { p50: latProxied.p50 - latDirect.p50, p99: latProxied.p99 - latDirect.p99 };
  const ratio = tpProxied.throughput / tpDirect.throughput;
  out(`added latency (c=1): p50 ${fixed(added.p50, 3)} ms (target ≤ 1 ms: ${added.p50 <= 1 ? 'met' : 'NOT met'}), p99 ${fixed(added.p99, 3)} ms`);
  out(`throughput proxied/direct at c=${concurrency}: ${fixed(ratio * 100, 1)} % (target ≥ 70 %: ${ratio >= 0.7 ? 'met' : 'NOT met'})`);
  const floor = tpBare.throughput / tpDirect.throughput;
  out(`load average at the end: ${load()}`);
  out(`floor: a bare Node forwarder (bench/proxy_bare.ts) reaches ${fixed(floor * 100, 1)} % of direct; crefgate reaches ${fixed((ratio / floor) * 100, 1)} % of the bare forwarder`);
  executorClient.close();
  if (flags.json !== undefined) await writeFile(flags.json, `${JSON.stringify({ latDirect, latProxied, tpDirect, tpProxied, tpBare, added, ratio, floor }, null, 2)}\n`);
} finally {
  for (const c of children) c.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 300));
  await rm(dir, { recursive: true, force: true });
}
