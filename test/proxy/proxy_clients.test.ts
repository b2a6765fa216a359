/**
 * Proxy delivery end to end with real clients: curl (mTLS from the command line), @octokit/rest with its baseUrl
 * at the proxy, and the AWS SDK with its endpoint at the proxy signing with placeholder keys — the upstream only
 * answers when the credential crefgate injected is the right one (SigV4 verified against the STS session keys).
 * The executor never sees a value; every exchange is one audit event without the credential.
 */
import assert from 'node:assert/strict';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { Octokit } from '@octokit/rest';
import { CrefgateError, withExecutorSession } from '../../src/client/index.ts';
import { APIKEY, AWS, BASIC, GH, ONLY_PROXY, startProxyBench, UNTRUSTED, type ProxyBench } from './fixture.ts';

describe('proxy delivery with real clients', () => {
  let bench: ProxyBench;
  let token: string;

  before(async () => {
    bench = await startProxyBench();
    token = bench.secret('github_token') as string;
    bench.upstream.expectedAuthorization = `token ${token}`;
  });
  after(async () => {
    await bench?.close();
  });

  it('resolves a proxied cref to a lease and a proxy URL, never the value', async () => {
    const { secrets, jobId } = await bench.proxied({ gh: GH });
    const gh = secrets.gh!;
    assert.equal(gh.value, undefined);
    assert.match(gh.proxy_url!, new RegExp(`^${bench.gw.url}/v1/proxy/${gh.lease_id}/$`));
    assert.ok(!JSON.stringify(secrets).includes(token));
    const issue = (await bench.gw.auditLines()).find((l) => l.action === 'job.issue' && l.job_id === jobId)!;
    assert.deepEqual((issue.detail as { proxied: string[] }).proxied, ['gh']);
  });

  it('refuses to mark a cref whose route has no proxy, and to deliver by value a route that requires the proxy', async () => {
    const coordinator = bench.gw.client('coordinator');
    await assert.rejects(
      coordinator.issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs: { t: 'cref://tenant_abc/npm_token' }, ttl: 60, delivery: { t: 'proxy' } }),
      (err: unknown) => err instanceof CrefgateError && err.code === 'forbidden',
    );
    await assert.rejects(
      coordinator.issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs: { t: GH }, ttl: 60, delivery: { other: 'proxy' } }),
      (err: unknown) => err instanceof CrefgateError && err.code === 'malformed',
    );
    await assert.rejects(
      coordinator.issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs: { t: ONLY_PROXY }, ttl: 60 }),
      (err: unknown) => err instanceof CrefgateError && err.code === 'forbidden' && /must be delivered through the proxy/.test(err.message),
    );
    const { secrets } = await bench.proxied({ t: ONLY_PROXY });
    assert.equal(secrets.t!.value, undefined);
  });

  it('curl: a GET through the proxy reaches the upstream with `token <value>` injected; the answer has no credential', async () => {
    const { secrets } = await bench.proxied({ gh: GH });
    const before = bench.upstream.count;
    const answer = await bench.curl([`${secrets.gh!.proxy_url}repos/octo/hello`]);
    assert.equal(answer.status, 200, answer.body);
    assert.deepEqual(JSON.parse(answer.body).full_name, 'octo/hello');
    assert.equal(bench.upstream.count, before + 1);
    const seen = bench.upstream.received.at(-1)!;
    assert.equal(seen.headers.authorization, `token ${token}`);
    assert.equal(seen.headers.host, new URL(bench.upstream.origin).host, 'Host is the upstream, not the gateway');
    assert.ok(!answer.headers.includes(token));
    assert.match(answer.headers, /x-request-id: req_/i);
  });

  it('curl: a POST body is forwarded whole; the placeholder Authorization the executor sends is replaced', async () => {
    const { secrets } = await bench.proxied({ gh: GH });
    const answer = await bench.curl(['-X', 'POST', '-H', 'authorization: token placeholder', '-H', 'content-type: application/json', '--data', '{"title":"hi"}', `${secrets.gh!.proxy_url}repos/octo/hello/issues`]);
    assert.equal(answer.status, 201, answer.body);
    const seen = bench.upstream.received.at(-1)!;
    assert.equal(seen.body, '{"title":"hi"}');
    assert.equal(seen.headers.authorization, `token ${token}`);
  });

  it('@octokit/rest with baseUrl at the proxy reads a repository', async () => {
    const { secrets } = await bench.proxied({ gh: GH });
    const target = bench.gw.client('executor').proxy(secrets.gh as never);
    const octokit = new Octokit({ baseUrl: target.baseUrl.replace(/\/$/, ''), request: { fetch: target.fetch } });
    const { data, status } = await octokit.rest.repos.get({ owner: 'octo', repo: 'world' });
    assert.equal(status, 200);
    assert.equal(data.full_name, 'octo/world');
    assert.equal(bench.upstream.received.at(-1)!.headers.authorization, `token ${token}`);
  });

  it('the executor SDK: session.proxy(alias) inside withExecutorSession; value() refuses; completion on exit ends the proxy', async () => {
    const coordinator = bench.gw.client('coordinator');
    const executor = bench.gw.client('executor');
    const envelope = await coordinator.issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs: { gh: GH }, ttl: 600, delivery: { gh: 'proxy' } });
    let base = '';
    const name = await withExecutorSession(executor, envelope, async (session) => {
      assert.throws(() => session.value('gh'), /delivered through the proxy/);
      const gh = session.proxy('gh');
      base = gh.baseUrl;
      const response = await gh.fetch('repos/octo/session');
      return ((await response.json()) as { full_name: string }).full_name;
    }, { hmacSecrets: bench.gw.hmac });
    assert.equal(name, 'octo/session');
    const after = await bench.curl([`${base}repos/octo/session`]);
    assert.equal(after.status, 401, 'the session completed the job on exit');
  });

  it('keeps its TLS connection to the upstream alive across requests (one handshake, not one per request)', async () => {
    const { secrets } = await bench.proxied({ gh: GH });
    const target = bench.gw.client('executor').proxy(secrets.gh as never);
    await (await target.fetch('repos/octo/warm')).text();
    const before = bench.upstream.connections;
    for (let i = 0; i < 5; i++) {
      const response = await target.fetch(`repos/octo/r${i}`);
      assert.equal(response.status, 200);
      await response.text();
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(bench.upstream.connections, before);
  });

  it('HTTP Basic from a {username, password} secret, and a custom header template', async () => {
    const db = bench.secret('db') as Record<string, string>;
    bench.upstream.expectedAuthorization = `Basic ${Buffer.from(`${db.username}:${db.password}`).toString('base64')}`;
    try {
      const { secrets } = await bench.proxied({ db: BASIC, key: APIKEY });
      const basic = await bench.curl([`${secrets.db!.proxy_url}repos/octo/basic`]);
      assert.equal(basic.status, 200, basic.body);
      await bench.curl([`${secrets.key!.proxy_url}repos/octo/key`]);
      const seen = bench.upstream.received.at(-1)!;
      assert.equal(seen.headers['x-api-key'], bench.secret('npm_token'));
      assert.equal(seen.headers.authorization, undefined);
    } finally {
      bench.upstream.expectedAuthorization = `token ${token}`;
    }
  });

  it('AWS SDK with its endpoint at the proxy: placeholder keys stripped, re-signed with the lease\'s STS keys, verified upstream', async () => {
    const { secrets } = await bench.proxied({ aws: AWS });
    const target = bench.gw.client('executor').proxy(secrets.aws as never);
    const client = new SecretsManagerClient({
      endpoint: target.baseUrl,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKIAPLACEHOLDER00000', secretAccessKey: 'placeholder' },
      requestHandler: new NodeHttpHandler({ httpsAgent: target.agent }),
      maxAttempts: 1,
    });
    const answer = await client.send(new GetSecretValueCommand({ SecretId: 'app/config' }));
    assert.equal(answer.SecretString, 'upstream-data');
    const seen = bench.upstream.received.at(-1)!;
    assert.ok(!String(seen.headers.authorization).includes('AKIAPLACEHOLDER'), 'the placeholder signature was stripped');
    assert.ok(bench.upstream.awsKeys.size >= 1);
    assert.ok(!JSON.stringify(secrets).includes([...bench.upstream.awsKeys.values()][0]!.secretAccessKey));
    client.destroy();
  });

  it('an upstream whose certificate does not verify is never sent the credential (unavailable at proxy)', async () => {
    const { secrets } = await bench.proxied({ gh: UNTRUSTED });
    const before = bench.upstream.count;
    const answer = await bench.curl([`${secrets.gh!.proxy_url}repos/octo/hello`]);
    assert.equal(answer.status, 503);
    assert.equal(JSON.parse(answer.body).error.code, 'unavailable');
    assert.equal(bench.upstream.count, before);
    const line = await bench.gw.auditFor(JSON.parse(answer.body).error.request_id);
    assert.equal(line.step, 'proxy');
    assert.match(String(line.reason), /upstream unreachable/);
  });

  it('records one proxy.request event per exchange: lease, job, method, upstream, path, status, bytes; no credential, no query values', async () => {
    const { secrets, jobId } = await bench.proxied({ gh: GH });
    const answer = await bench.curl([`${secrets.gh!.proxy_url}repos/octo/audit?per_page=5&access_token=hunter2`]);
    assert.equal(answer.status, 200);
    const requestId = /x-request-id: (req_\S+)/i.exec(answer.headers)![1]!;
    let line: Record<string, unknown> | undefined;
    for (let i = 0; i < 50 && line === undefined; i++) {
      line = (await bench.gw.auditLines()).find((l) => l.request_id === requestId);
      if (line === undefined) await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(line !== undefined);
    assert.equal(line.action, 'proxy.request');
    assert.equal(line.outcome, 'ok');
    assert.equal(line.job_id, jobId);
    assert.deepEqual(line.lease_ids, [secrets.gh!.lease_id]);
    const detail = line.detail as Record<string, unknown>;
    assert.equal(detail.method, 'GET');
    assert.equal(detail.upstream, bench.upstream.origin);
    assert.equal(detail.path, '/repos/octo/audit');
    assert.deepEqual(detail.query_keys, ['per_page', 'access_token']);
    assert.equal(detail.status, 200);
    assert.ok((detail.bytes_out as number) > 0);
    assert.ok(typeof detail.duration_ms === 'number');
    const all = JSON.stringify(await bench.gw.auditLines()) + bench.gw.logs.join('');
    assert.ok(!all.includes(token), 'the credential is in no audit line or log');
    assert.ok(!all.includes('hunter2'), 'query values are not recorded');
  });
});
