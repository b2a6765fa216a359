/**
 * The upstream of the proxy bench, in its own process: HTTPS (throwaway CA written to argv[2]) on a free
 * 127.0.0.1 port, printed as one JSON line. It answers a small JSON body only when the Authorization header is
 * the expected one (env CREFGATE_BENCH_EXPECTED, not argv: a command line is visible to every local user), so
 * direct and proxied requests do the same work and a missing injection shows.
 */
import { writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { createThrowawayPki } from '../test/helpers/throwaway_ca.ts';

const [caFile] = process.argv.slice(2);
const expected = process.env.CREFGATE_BENCH_EXPECTED;
if (caFile === undefined || expected === undefined) {
  process.stderr.write('usage: CREFGATE_BENCH_EXPECTED=<authorization> node bench/proxy_upstream.ts <ca-file>\n');
  process.exit(2);
}
const delayMs = Number(process.env.CREFGATE_BENCH_DELAY_MS ?? '0');
const pki = await createThrowawayPki('proxy-bench-upstream');
writeFileSync(caFile, pki.caCert);
const ok = Buffer.from(JSON.stringify({ id: 1, full_name: 'octo/bench', private: true }));
const denied = Buffer.from('{"message":"Bad credentials"}');
const server = https.createServer({ cert: pki.serverCert, key: pki.serverKey, keepAliveTimeout: 30_000 }, (req, res) => {
  req.resume();
  req.on('end', () => {
    const body = req.headers.authorization === expected ? ok : denied;
    const answer = () => {
      res.writeHead(body === ok ? 200 : 401, { 'content-type': 'application/json', 'content-length': String(body.length) });
      res.end(body);
    };
    // A real API takes its time: CREFGATE_BENCH_DELAY_MS holds each answer back (no CPU spent meanwhile).
    if (delayMs > 0) setTimeout(answer, delayMs);
    else answer();
  });
});
// TLS connections accepted: with a keep-alive pool the proxy should need about as many as its concurrency.
let connections = 0;
server.on('secureConnection', () => {
  connections += 1;
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`));
process.on('SIGTERM', () => {
  process.stderr.write(`upstream: ${connections} TLS connections accepted\n`);
  process.exit(0);
});
