/**
 * Child-process side of the benchmark: runs one server (crefgate itself, or the bare baseline) in its own
 * process so it never shares an event loop with the load generator, and answers the parent's IPC questions
 * about its own CPU time and memory. Started by bench/run.ts; exits when the parent says so or disconnects.
 *
 *   node bench/server_process.ts crefgate <config.yaml>
 *   node bench/server_process.ts baseline <state-dir> <redis-url>
 */
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { cpuUsage, memoryUsage } from 'node:process';
import { parseFlags, refuse } from '../src/cli/flags.ts';
import type { ServerStats, ToChild, ToParent } from './ipc.ts';

const SERVER = {
  name: 'node bench/server_process.ts',
  usage: `node bench/server_process.ts crefgate <config.yaml> | baseline <state-dir> <redis-url>
(started by bench/run.ts over IPC; run \`npm run bench\` instead)`,
};
const { positionals } = parseFlags({ ...SERVER, options: {}, positionals: { min: 2, max: 3 } });
const [kind, ...args] = positionals;
if (!((kind === 'crefgate' && args.length === 1) || (kind === 'baseline' && args.length === 2))) refuse(SERVER, `unknown server kind or arguments: ${kind}`);
if (process.send === undefined) refuse(SERVER, 'needs an IPC channel to its parent');

let peakRss = memoryUsage.rss();
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, memoryUsage.rss());
}, 100);
sampler.unref();

function stats(): ServerStats {
  const rss = memoryUsage.rss();
  peakRss = Math.max(peakRss, rss);
  const cpu = cpuUsage();
  const heap = memoryUsage();
  return { cpuMicros: cpu.user + cpu.system, systemMicros: cpu.system, rss, peakRss, heapUsed: heap.heapUsed, heapTotal: heap.heapTotal, external: heap.external };
}

function send(message: ToParent): void {
  process.send?.(message);
}

async function start(): Promise<() => Promise<void>> {
  if (kind === 'crefgate') {
    const [{ loadConfig }, { createGateway }, { createLogger }] = await Promise.all([
      import('../src/config/load.ts'),
      import('../src/gateway.ts'),
      import('../src/log.ts'),
    ]);
    const { config, configDir } = await loadConfig(args[0]!, {});
    const gateway = await createGateway(config, { configDir, logger: createLogger({ level: 'warn' }), replica: 'bench' });
    const { port } = await gateway.listen();
    send({ type: 'ready', port });
    return () => gateway.close();
  }
  if (kind === 'baseline') {
    const { startBaseline } = await import('./baseline.ts');
    const baseline = await startBaseline(args[0]!, args[1]!);
    send({ type: 'ready', port: baseline.port });
    return () => baseline.close();
  }
  throw new Error(`unknown server kind ${String(kind)}`);
}

let session: Session | undefined;
/**
 * Starts a profiler, or stops it and writes its profile to `file`: V8's CPU profiler (a .cpuprofile for
 * bench/profile_top.ts), or with `heap` the sampling heap profiler keeping only allocations that survived a
 * scavenge, i.e. what gets promoted to old space and makes the heap grow (a .heapprofile for bench/heap_top.ts).
 */
async function profile(file: string | undefined, heap: boolean): Promise<void> {
  if (file === undefined) {
    session = new Session();
    session.connect();
    if (heap) {
      await session.post('HeapProfiler.enable');
      await session.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: false });
      return;
    }
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 200 });
    await session.post('Profiler.start');
    return;
  }
  const result = heap ? await session!.post('HeapProfiler.stopSampling') : await session!.post('Profiler.stop');
  await writeFile(file, JSON.stringify(result.profile));
  session!.disconnect();
}

const close = await start();
let closing = false;
const shutdown = async () => {
  if (closing) return;
  closing = true;
  await close();
  send({ type: 'closed' });
  process.disconnect?.();
  process.exit(0);
};
process.on('message', (message: ToChild) => {
  if (message.type === 'stats') send({ type: 'stats', id: message.id, stats: stats() });
  else if (message.type === 'reset_peak') {
    peakRss = memoryUsage.rss();
    send({ type: 'stats', id: message.id, stats: stats() });
  } else if (message.type === 'gc') {
    globalThis.gc?.();
    send({ type: 'stats', id: message.id, stats: stats() });
  } else if (message.type === 'profile') void profile(message.file, message.heap === true).then(() => send({ type: 'stats', id: message.id, stats: stats() }));
  else if (message.type === 'close') void shutdown();
});
process.on('disconnect', () => void shutdown());
