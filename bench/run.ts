/**
 * `npm run bench [-- flags]`: crefgate (Redis state, file audit sink with group commit, local store backend) in
 * one process, the bare baseline in another, the load generator in this one. Phases, each bounded:
 *   1. throughput at a fixed concurrency: baseline, then crefgate (ratio, p50/p95/p99, CPU s per 1,000, peak RSS)
 *   2. latency at a fixed offered load (open loop, --rate per second for --rate-seconds)
 *   3. soak at --soak-rate for --soak seconds, envelopes issued alongside: RSS growth
 *   4. audit verify speed over the log the run produced
 * Flags: --concurrency 32 --requests 8000 --rate 1000 --rate-seconds 10 --soak 20 --soak-rate 300
 * --profile closed|rate (CPU profile of crefgate in that phase, into bench/out/) --heap-profile (what its
 * fixed-rate phase promotes to old space) --gateway-flags='<node flags for crefgate>' --json <file>.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { numberFlag, parseFlags, refuse } from '../src/cli/flags.ts';
import { envelopeBody } from '../src/client/index.ts';
import { GATEWAY_NODE_FLAGS } from '../src/runtime_flags.ts';
import type { Envelope } from '../src/envelope/schema.ts';
import { RedisServer } from '../test/helpers/redis_server.ts';
import { ServerChild, type ServerStats } from './ipc.ts';
import { closedLoop, openConnections, openLoop, postRequest, quantile, type LoadResult } from './load.ts';
import { clientIdentity, EnvelopeSource, prepareState } from './setup.ts';

const BENCH = {
  name: 'npm run bench --',
  usage: `npm run bench -- [--concurrency 32] [--requests 8000] [--rate 1000] [--rate-seconds 10] [--soak 20]
       [--soak-rate 300] [--profile closed|rate] [--heap-profile] [--gateway-flags='<node flags>'] [--db] [--json <file>]
Throughput against the bare baseline, latency at a fixed rate, a soak, and audit verify speed (bench/run.ts).
Proxy delivery, proxied against direct (added latency, throughput): node bench/proxy.ts --help.`,
};
const { values: flags } = parseFlags({
  ...BENCH,
  options: {
    concurrency: { type: 'string', default: '32' },
    requests: { type: 'string', default: '8000' },
    rate: { type: 'string', default: '1000' },
    'rate-seconds': { type: 'string', default: '10' },
    soak: { type: 'string', default: '20' },
    'soak-rate': { type: 'string', default: '300' },
    // CPU profile of one phase: 'closed' (the closed loop) or 'rate' (the fixed offered load).
    profile: { type: 'string' },
    'heap-profile': { type: 'boolean', default: false },
    // Node/V8 flags for crefgate's process on top of GATEWAY_NODE_FLAGS, e.g. --gateway-flags='--trace-gc'.
    'gateway-flags': { type: 'string', default: '' },
    // Adds the database phase: per-job PostgreSQL and MariaDB users issued and revoked per second (bench/db.ts).
    db: { type: 'boolean', default: false },
    json: { type: 'string' },
  },
});
const concurrency = numberFlag(BENCH, '--concurrency', flags.concurrency, 1);
const requests = numberFlag(BENCH, '--requests', flags.requests, 1);
const rate = numberFlag(BENCH, '--rate', flags.rate, 1);
const rateSeconds = numberFlag(BENCH, '--rate-seconds', flags['rate-seconds'], 1);
const soakSeconds = numberFlag(BENCH, '--soak', flags.soak, 0);
const soakRate = numberFlag(BENCH, '--soak-rate', flags['soak-rate'], 1);
if (flags.profile !== undefined && flags.profile !== 'closed' && flags.profile !== 'rate') refuse(BENCH, `--profile must be closed or rate, got ${JSON.stringify(flags.profile)}`);
const WARMUP = 1000;
const MAX_PHASE_MS = 120_000;
const MB = 1024 * 1024;

const execFileAsync = promisify(execFile);
const out = (line: string) => process.stdout.write(`${line}\n`);
const fixed = (n: number, digits = 2) => n.toFixed(digits);

function summarise(name: string, r: LoadResult, before?: ServerStats, after?: ServerStats) {
  const sorted = [...r.latencies].sort((a, b) => a - b);
  const ok = r.statuses.get(200) ?? 0;
  const summary = {
    name,
    completed: r.latencies.length,
    ok,
    statuses: Object.fromEntries(r.statuses),
    seconds: r.elapsedMs / 1000,
    throughput: ok / (r.elapsedMs / 1000),
    p50: quantile(sorted, 0.5),
    p95: quantile(sorted, 0.95),
    p99: quantile(sorted, 0.99),
    max: sorted.at(-1) ?? Number.NaN,
    starved: r.starved,
    cpuSecondsPer1000: before && after ? (after.cpuMicros - before.cpuMicros) / 1e6 / (r.latencies.length / 1000) : undefined,
    systemCpuSecondsPer1000: before && after ? (after.systemMicros - before.systemMicros) / 1e6 / (r.latencies.length / 1000) : undefined,
    peakRssMb: after ? after.peakRss / MB : undefined,
    heapTotalMb: after ? after.heapTotal / MB : undefined,
    externalMb: after ? after.external / MB : undefined,
  };
  out(
    `${name.padEnd(28)} ${String(summary.ok).padStart(6)} ok in ${fixed(summary.seconds)} s  ${fixed(summary.throughput, 0).padStart(5)}/s  ` +
      `p50 ${fixed(summary.p50)} ms  p95 ${fixed(summary.p95)} ms  p99 ${fixed(summary.p99)} ms  max ${fixed(summary.max)} ms` +
      (summary.cpuSecondsPer1000 === undefined ? '' : `  cpu ${fixed(summary.cpuSecondsPer1000, 3)} s/1000 (system ${fixed(summary.systemCpuSecondsPer1000!, 3)})`) +
      (summary.peakRssMb === undefined ? '' : `  peak rss ${fixed(summary.peakRssMb, 1)} MB (heap ${fixed(summary.heapTotalMb!, 1)}, external ${fixed(summary.externalMb!, 1)})`) +
      (ok === summary.completed ? '' : `  statuses ${JSON.stringify(summary.statuses)}`) +
      (r.starved === 0 ? '' : `  starved ${r.starved}`),
  );
  return summary;
}

/** Hands out each request once, in order. */
function feeder(bodies: Buffer[]): () => Buffer | undefined {
  let i = 0;
  return () => bodies[i++];
}

/** Calls per Redis command so far (INFO commandstats). */
async function redisCalls(url: string): Promise<Map<string, number>> {
  const client = new Redis(url);
  const info = (await client.info('commandstats')) as string;
  client.disconnect();
  return new Map([...info.matchAll(/cmdstat_([a-z|]+):calls=(\d+)/g)].map((m) => [m[1]!, Number(m[2])]));
}

/** Stops the running profiler of `server` and writes its profile under bench/out/. */
async function writeProfile(server: ServerChild, phase: string, ext: 'cpuprofile' | 'heapprofile'): Promise<void> {
  const file = path.resolve('bench/out', `crefgate-${Date.now()}.${ext}`);
  await mkdir(path.dirname(file), { recursive: true });
  await server.profile(file, ext === 'heapprofile');
  const reader = ext === 'heapprofile' ? 'heap_top' : 'profile_top';
  out(`profile of the ${phase}: ${file} (node bench/${reader}.ts ${path.relative(process.cwd(), file)})`);
}

const toRequest = (e: Envelope) => postRequest('/v1/resolve', envelopeBody(e));

const dir = await mkdtemp(path.join(tmpdir(), 'crefgate-bench-'));
const redis = await RedisServer.start();
const results: Record<string, unknown> = { flags, node: process.version, cpus: (await import('node:os')).cpus().length };
const children: ServerChild[] = [];
try {
  const configFile = await prepareState(dir, redis.url);
  const gateway = await ServerChild.start(['crefgate', configFile], [...GATEWAY_NODE_FLAGS, ...flags['gateway-flags'].split(' ').filter(Boolean)]);
  children.push(gateway);
  const executor = clientIdentity(dir, 'executor');
  out(`crefgate pid ${gateway.pid} on :${gateway.port}, redis ${redis.url}, state ${dir}`);

  const source = new EnvelopeSource(dir, gateway.port);
  const t = performance.now();
  const envelopes = await source.issueMany(WARMUP + requests + rate * rateSeconds, 16);
  out(`issued ${envelopes.length} envelopes in ${fixed((performance.now() - t) / 1000)} s`);
  const bodies = envelopes.map(toRequest);
  const warmup = bodies.slice(0, WARMUP);
  const measured = bodies.slice(WARMUP, WARMUP + requests);
  const atRate = bodies.slice(WARMUP + requests);

  // 1a. The baseline (its own nonce key space, so the same envelopes serve both).
  const baseline = await ServerChild.start(['baseline', dir, redis.url]);
  children.push(baseline);
  let conns = await openConnections(baseline.port, executor, concurrency);
  await closedLoop(conns, feeder(warmup), MAX_PHASE_MS);
  let before = await baseline.stats('reset_peak');
  const base = summarise('baseline closed loop', await closedLoop(conns, feeder(measured), MAX_PHASE_MS), before, await baseline.stats());
  for (const c of conns) c.close();
  await baseline.close();

  // 1b. crefgate at the same concurrency.
  conns = await openConnections(gateway.port, executor, concurrency);
  await closedLoop(conns, feeder(warmup), MAX_PHASE_MS);
  const redisBefore = await redisCalls(redis.url);
  before = await gateway.stats('reset_peak');
  if (flags.profile === 'closed') await gateway.profile();
  const closedRun = await closedLoop(conns, feeder(measured), MAX_PHASE_MS);
  const closed = summarise('crefgate closed loop', closedRun, before, await gateway.stats());
  const redisAfter = await redisCalls(redis.url);
  const perResolve = [...redisAfter].map(([cmd, n]) => [cmd, (n - (redisBefore.get(cmd) ?? 0)) / closedRun.latencies.length] as const).filter(([, n]) => n > 0);
  out(`redis commands per resolve: ${perResolve.map(([cmd, n]) => `${cmd} ${fixed(n)}`).join(', ')} (total ${fixed(perResolve.reduce((a, [, n]) => a + n, 0))})`);
  if (flags.profile === 'closed') await writeProfile(gateway, 'closed loop', 'cpuprofile');
  for (const c of conns) c.close();
  out(`crefgate / baseline throughput: ${fixed((100 * closed.throughput) / base.throughput, 1)} %`);

  // 2. Fixed offered load.
  conns = await openConnections(gateway.port, executor, 64);
  before = await gateway.stats('reset_peak');
  if (flags['heap-profile'] || flags.profile === 'rate') await gateway.profile(undefined, flags['heap-profile']);
  const open = summarise(`crefgate at ${rate}/s`, await openLoop(conns, feeder(atRate), rate, rateSeconds * 1000), before, await gateway.stats());
  if (flags['heap-profile']) await writeProfile(gateway, 'fixed-rate phase', 'heapprofile');
  else if (flags.profile === 'rate') await writeProfile(gateway, 'fixed-rate phase', 'cpuprofile');
  for (const c of conns) c.close();

  // 3. Soak: envelopes issued alongside, RSS sampled every 2 s (after a forced GC, and raw).
  let soak: Record<string, unknown> | undefined;
  if (soakSeconds > 0) {
    const ready: Buffer[] = [];
    const production = { on: true };
    const producer = (async () => {
      const issueOne = async () => {
        while (production.on) {
          if (ready.length >= soakRate * 2) await new Promise((r) => setTimeout(r, 20));
          else ready.push(toRequest(await source.issue()));
        }
      };
      await Promise.all(Array.from({ length: 8 }, issueOne));
    })();
    while (ready.length < soakRate) await new Promise((r) => setTimeout(r, 50));
    const samples: Array<{ s: number; rss: number; heap: number }> = [];
    const t0 = performance.now();
    const sampler = setInterval(() => {
      void gateway.stats().then((st) => samples.push({ s: (performance.now() - t0) / 1000, rss: st.rss / MB, heap: st.heapUsed / MB }));
    }, 2000);
    conns = await openConnections(gateway.port, executor, 64);
    before = await gateway.stats('gc');
    const run = await openLoop(conns, () => ready.shift(), soakRate, soakSeconds * 1000);
    clearInterval(sampler);
    const after = await gateway.stats('gc');
    production.on = false;
    await producer;
    for (const c of conns) c.close();
    const summary = summarise(`soak ${soakSeconds} s at ${soakRate}/s`, run, before, after);
    const firstThird = samples.filter((x) => x.s <= soakSeconds / 3);
    const lastThird = samples.filter((x) => x.s >= (2 * soakSeconds) / 3);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
    soak = {
      ...summary,
      rssAfterGcStartMb: before.rss / MB,
      rssAfterGcEndMb: after.rss / MB,
      heapAfterGcStartMb: before.heapUsed / MB,
      heapAfterGcEndMb: after.heapUsed / MB,
      rssMeanFirstThirdMb: mean(firstThird.map((x) => x.rss)),
      rssMeanLastThirdMb: mean(lastThird.map((x) => x.rss)),
      samples,
    };
    out(
      `soak rss after gc ${fixed(before.rss / MB, 1)} → ${fixed(after.rss / MB, 1)} MB, heap after gc ${fixed(before.heapUsed / MB, 1)} → ${fixed(after.heapUsed / MB, 1)} MB, ` +
        `mean rss first third ${fixed(soak.rssMeanFirstThirdMb as number, 1)} MB, last third ${fixed(soak.rssMeanLastThirdMb as number, 1)} MB, peak ${fixed(after.peakRss / MB, 1)} MB`,
    );
  }
  source.close();
  await gateway.close();

  // 4. Audit verify over the log this run wrote (chain, Merkle checkpoints, signatures), in a fresh process as
  // `crefgate audit verify` runs, not in this one with the load generator's heap; start-up is not counted.
  const verifyRun = await execFileAsync(process.execPath, [path.join(import.meta.dirname, 'audit.ts'), 'verify', path.join(dir, 'audit', 'crefgate.log'), '--json']);
  const report = JSON.parse(verifyRun.stdout) as { events: number; seconds: number; ok: boolean; findings: unknown[] };
  const { events, seconds: verifySeconds } = report;
  out(`audit verify: ${events} events in ${fixed(verifySeconds, 3)} s = ${fixed(events / verifySeconds, 0)} events/s, ok=${report.ok}` +
    (report.ok ? '' : ` ${JSON.stringify(report.findings)}`));

  // 5. With --db: database users issued and revoked per second, in bench/db.ts's own process and private servers.
  if (flags.db) {
    const dbJson = path.join(dir, 'db.json');
    out((await execFileAsync(process.execPath, [path.join(import.meta.dirname, 'db.ts'), '--json', dbJson])).stdout.trimEnd());
    results.databases = JSON.parse(await (await import('node:fs/promises')).readFile(dbJson, 'utf8'));
  }

  Object.assign(results, { baseline: base, crefgate: closed, ratio: closed.throughput / base.throughput, fixedRate: open, soak, auditVerify: { events, seconds: verifySeconds, perSecond: events / verifySeconds, ok: report.ok } });
  if (flags.json !== undefined) await writeFile(flags.json, `${JSON.stringify(results, null, 2)}\n`);
} finally {
  for (const c of children) await c.close().catch(() => undefined);
  await redis.stop();
  await rm(dir, { recursive: true, force: true });
}
