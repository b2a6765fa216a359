/**
 * Proxy delivery of a GitHub App installation token: the github-app adapter mints a token narrowed to the route,
 * the executor's @octokit/rest talks to the GitHub API emulator only through the proxy (a TLS front terminates
 * HTTPS for the plain-HTTP emulator), and the emulator accepts the token crefgate injected. The executor never
 * holds the token; completing the job cuts the proxy off and revokes the token at GitHub.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { Octokit } from '@octokit/rest';
import type { CrefgateClient } from '../../src/client/index.ts';
import { runRevocations } from '../../src/leases/revocation_worker.ts';
import { GitHubEmulator } from '../adapters/github-app/emulator/server.ts';
import { gatewayGithubMount } from '../adapters/github-app/github_fixture.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';
import { createThrowawayPki } from '../helpers/throwaway_ca.ts';
import { makeTempFolder } from '../helpers/kit.ts';

/** HTTPS in front of a plain-HTTP server: TLS terminated here, bytes piped through unchanged. */
async function tlsFront(targetPort: number): Promise<{ origin: string; ca: string; close(): Promise<void> }> {
  const pki = await createThrowawayPki('github-front');
  const server = tls.createServer({ cert: pki.serverCert, key: pki.serverKey }, (socket) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    socket.pipe(upstream).pipe(socket);
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    ca: pki.caCert,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('proxy delivery of a GitHub App token, against the GitHub API emulator', () => {
  let gh: GitHubEmulator;
  let front: Awaited<ReturnType<typeof tlsFront>>;
  let gw: TestGateway;
  let tmp: Awaited<ReturnType<typeof makeTempFolder>>;
  let coordinator: CrefgateClient;
  let executor: CrefgateClient;

  before(async () => {
    tmp = await makeTempFolder('crefgate-proxy-github-');
    gh = await GitHubEmulator.start();
    gh.install('acme', { repositories: ['app', 'lib'], permissions: { contents: 'write', metadata: 'read' } });
    front = await tlsFront(Number(new URL(gh.url).port));
    const githubMount = await gatewayGithubMount(gh, tmp.path);
    const caFile = path.join(tmp.path, 'front-ca.pem');
    await writeFile(caFile, front.ca);
    gw = await startGateway({
      gateway: { workers: false },
      mutate(config) {
        config.mounts.github = githubMount;
        config.routes.unshift({
          cref: 'cref://{tenant}/github-proxied/{repo}',
          mount: 'github',
          path: '{repo}',
          dynamic: true,
          options: { permissions: { contents: 'read', metadata: 'read' } },
          proxy: { upstream: front.origin, methods: ['GET'], path_prefixes: ['/repos/acme/'], inject: { kind: 'header', header: 'authorization', template: 'token {value}' }, required: true, ca_file: caFile },
        });
      },
    });
    coordinator = gw.client('coordinator');
    executor = gw.client('executor');
  });
  after(async () => {
    await gw?.close();
    await front?.close();
    await gh?.close();
    await tmp.remove();
  });

  it('Octokit reads the repository through the proxy with the minted token; the executor never sees it; completion cuts off and revokes', async () => {
    const envelope = await coordinator.issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs: { gh: 'cref://tenant_abc/github-proxied/app' }, ttl: 600, delivery: { gh: 'proxy' } });
    const { secrets } = await executor.resolve(envelope, { hmacSecrets: gw.hmac });
    assert.equal(secrets.gh!.value, undefined);
    const [minted] = gh.liveTokens();
    assert.ok(minted !== undefined, 'the adapter minted one installation token');
    assert.ok(!JSON.stringify(secrets).includes(minted.token));

    const target = executor.proxy(secrets.gh!);
    const octokit = new Octokit({ baseUrl: target.baseUrl.replace(/\/$/, ''), request: { fetch: target.fetch }, log: { debug() {}, info() {}, warn() {}, error() {} } });
    const { data } = await octokit.rest.repos.get({ owner: 'acme', repo: 'app' });
    assert.equal(data.full_name, 'acme/app');
    const seen = gh.requests.at(-1)!;
    assert.equal(seen.path, '/repos/acme/app');
    assert.equal(seen.auth, 'token');
    await assert.rejects(octokit.rest.repos.get({ owner: 'other', repo: 'x' }), (err: { status?: number }) => err.status === 403, 'outside /repos/acme/: refused by crefgate');
    assert.equal(gh.requests.at(-1)!.path, '/repos/acme/app', 'nothing else reached GitHub');

    await executor.completeJob(envelope.payload.job_id);
    await assert.rejects(octokit.rest.repos.get({ owner: 'acme', repo: 'app' }), (err: { status?: number }) => err.status === 401);
    await runRevocations(gw.gateway.services, 'test');
    assert.equal(gh.minted(minted.token)!.revoked, true);
    assert.ok(!(JSON.stringify(await gw.auditLines()) + gw.logs.join('')).includes(minted.token), 'the token is in no audit line or log');
  });
});
