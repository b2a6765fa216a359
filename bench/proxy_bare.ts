/**
 * The floor of the proxy bench, in its own process: the least any Node HTTPS forwarder can do for one request.
 * It terminates TLS (throwaway CA written to argv[2]), sends the request to the upstream at argv[3] over a
 * keep-alive TLS agent that verifies the upstream's certificate (CA file argv[4]), with the Authorization header
 * from env CREFGATE_BENCH_EXPECTED, and pipes the answer back. No client certificate, allow-list, state, log, audit
 * or Koa: what is left of crefgate's cost above this line is crefgate's; this line itself is node:http twice.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { createThrowawayPki } from '../test/helpers/throwaway_ca.ts';

const [caFile, upstreamUrl, upstreamCa] = process.argv.slice(2);
const authorization = process.env.CREFGATE_BENCH_EXPECTED;
if (caFile === undefined || upstreamUrl === undefined || upstreamCa === undefined || authorization === undefined) {
  process.stderr.write('usage: CREFGATE_BENCH_EXPECTED=<authorization> node bench/proxy_bare.ts <ca-out> <upstream-url> <upstream-ca>\n');
  process.exit(2);
}
const upstream = new URL(upstreamUrl);
const agent = new https.Agent({ keepAlive: true, maxSockets: 256, ca: readFileSync(upstreamCa), rejectUnauthorized: true });
const pki = await createThrowawayPki('proxy-bench-bare');
writeFileSync(caFile, pki.caCert);
const server = https.createServer({ cert: pki.serverCert, key: pki.serverKey, keepAliveTimeout: 30_000 }, (req, res) => {
  const out = https.request(
    { hostname: upstream.hostname, port: upstream.port, method: req.method, path: req.url, agent, headers: { host: upstream.host, authorization } },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  out.on('error', () => res.destroy());
  req.pipe(out);
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`));
process.on('SIGTERM', () => process.exit(0));
