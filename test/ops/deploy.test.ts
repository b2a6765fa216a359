/** What can be checked of the Dockerfile and deploy/ without a Docker engine or a cluster. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { validateConfig } from '../../src/config/load.ts';
import { GATEWAY_NODE_FLAGS, missingGatewayFlags } from '../../src/runtime_flags.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const read = (p: string) => readFileSync(path.join(ROOT, p), 'utf8');

type Doc = { kind?: string; metadata?: { name?: string; namespace?: string }; spec?: Record<string, unknown>; data?: Record<string, string> };

function manifests(): Doc[] {
  const dir = path.join(ROOT, 'deploy', 'kubernetes');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) =>
      parseAllDocuments(readFileSync(path.join(dir, f), 'utf8')).map((d) => {
        assert.equal(d.errors.length, 0, `${f}: ${d.errors.map((e) => e.message).join('; ')}`);
        return d.toJS() as Doc;
      }),
    );
}

describe('deploy: Dockerfile and manifests', () => {
  const dockerfile = read('Dockerfile');
  const instructions = dockerfile.split('\n').filter((l) => /^[A-Z]+\s/.test(l));

  it('builds in stages on node:24-slim and copies only files that exist, never keys or state', () => {
    assert.ok(instructions.filter((l) => l.startsWith('FROM node:24-slim')).length >= 2, 'multi-stage on node:24-slim');
    const copies = instructions.filter((l) => l.startsWith('COPY') && !l.includes('--from='));
    assert.ok(copies.length >= 3);
    for (const line of copies) {
      const parts = line.split(/\s+/).slice(1).filter((p) => !p.startsWith('--'));
      for (const source of parts.slice(0, -1)) assert.ok(existsSync(path.join(ROOT, source)), `COPY source ${source} exists`);
      assert.doesNotMatch(line, /\.crefgate|\.pem|\.key|keys|secrets|config\.yaml/, `nothing secret is copied: ${line}`);
    }
    const ignore = read('.dockerignore');
    for (const pattern of ['.crefgate', '**/*.pem', '**/*.key', 'node_modules']) assert.ok(ignore.split('\n').includes(pattern), `.dockerignore has ${pattern}`);
  });

  it('runs as a non-root user, with a health check on the ops listener, and starts the CLI', () => {
    const users = instructions.filter((l) => l.startsWith('USER'));
    assert.ok(users.length >= 1 && !/root|\b0\b/.test(users.at(-1)!), 'last USER is not root');
    const healthcheck = dockerfile.slice(dockerfile.indexOf('HEALTHCHECK'));
    assert.match(healthcheck, /9464\/v1\/sys\/health/);
    assert.match(dockerfile, new RegExp(`ENTRYPOINT \\["node", ${GATEWAY_NODE_FLAGS.map((f) => `"${f}"`).join(', ')}, "src/cli.ts"\\]`));
    assert.match(dockerfile, /CMD \["serve", "--config", /);
    assert.doesNotMatch(dockerfile, /^(ENV|ARG)\s+\S*(SECRET|TOKEN|PASSWORD|KEY)\S*=/im, 'no secret in ENV or ARG');
  });

  it('every launcher starts the gateway with the Node flags of src/runtime_flags.ts', () => {
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    const launchers: Array<[string, string[]]> = [
      ['npm start', scripts.start!.split(' ')],
      ['npm run crefgate', scripts.crefgate!.split(' ')],
      ['bin/crefgate', read('bin/crefgate').split('\n').find((l) => l.startsWith('exec '))!.split(' ')],
    ];
    for (const [name, argv] of launchers) assert.deepEqual(missingGatewayFlags(argv), [], `${name} carries every flag`);
    assert.deepEqual(missingGatewayFlags([]), [...GATEWAY_NODE_FLAGS]);
  });

  it('deploys three hardened gateway replicas whose probes use the ops listener, with a valid config', () => {
    const docs = manifests();
    const gateway = docs.find((d) => d.kind === 'StatefulSet' && d.metadata?.name === 'crefgate')!;
    assert.equal(gateway.spec!.replicas, 3);
    const pod = (gateway.spec!.template as { spec: { containers: Array<Record<string, unknown>>; terminationGracePeriodSeconds: number } }).spec;
    const container = pod.containers[0] as { securityContext: Record<string, unknown>; readinessProbe: { httpGet: { path: string; port: string } }; livenessProbe: { httpGet: { path: string } } };
    assert.equal(container.securityContext.readOnlyRootFilesystem, true);
    assert.equal(container.securityContext.allowPrivilegeEscalation, false);
    assert.equal(container.readinessProbe.httpGet.path, '/v1/sys/ready');
    assert.equal(container.readinessProbe.httpGet.port, 'ops');
    assert.equal(container.livenessProbe.httpGet.path, '/v1/sys/health');
    const configMap = docs.find((d) => d.kind === 'ConfigMap' && d.metadata?.name === 'crefgate-config')!;
    const config = validateConfig(parse(configMap.data!['config.yaml']!), 'deploy/kubernetes/config.yaml');
    assert.equal(config.state.kind, 'redis');
    assert.ok(pod.terminationGracePeriodSeconds * 1000 > config.ops.drain_timeout_ms, 'the drain ends before SIGKILL');
    assert.ok(docs.some((d) => d.kind === 'StatefulSet' && d.metadata?.name === 'crefgate-redis'));
  });

  it('lets executors reach the gateway only, and Redis accept the gateway only', () => {
    const policies = manifests().filter((d) => d.kind === 'NetworkPolicy');
    const executors = policies.find((p) => p.metadata?.name === 'executors-egress')!;
    const egress = executors.spec!.egress as Array<{ to: Array<{ podSelector?: { matchLabels: Record<string, string> } }>; ports: Array<{ port: number }> }>;
    const targets = egress.map((rule) => `${rule.to[0]!.podSelector?.matchLabels['app.kubernetes.io/name'] ?? rule.to[0]!.podSelector?.matchLabels['k8s-app']}:${rule.ports.map((p) => p.port).join('/')}`);
    assert.deepEqual(targets.sort(), ['crefgate:8443', 'kube-dns:53/53']);
    const redis = policies.find((p) => p.metadata?.name === 'crefgate-redis-ingress')!;
    assert.deepEqual((redis.spec!.ingress as Array<{ from: unknown }>)[0]!.from, [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'crefgate' } } }]);
    assert.ok(policies.some((p) => p.metadata?.name === 'default-deny'));
  });

  it('has a GitHub Actions example bound to its commit that completes its job whatever happens', () => {
    type Job = { if?: string; needs?: string[]; permissions?: Record<string, string>; steps?: Array<{ if?: string; run?: string }> };
    const workflow = parse(read('deploy/github-actions/resolve-crefs.yml')) as { jobs: Record<string, Job> };
    const { issue, publish, complete } = workflow.jobs;
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the GitHub Actions expression itself, not a JS template
    assert.ok(issue!.steps!.some((s) => s.run?.includes('--bind sha=${{ github.sha }}')), 'the job is bound to its commit');
    assert.equal(publish!.permissions?.['id-token'], 'write', 'the executor proves its run with its OIDC token');
    assert.ok(publish!.steps!.some((s) => s.run?.includes('Authorization: Bearer $oidc') && s.run.includes('/v1/resolve')));
    // Completion runs after publish whatever publish did (a bound OIDC executor has no mTLS identity to complete with).
    assert.match(complete!.if ?? '', /always\(\)/);
    assert.deepEqual(complete!.needs, ['issue', 'publish']);
    assert.ok(complete!.steps!.some((s) => s.run?.includes('job complete')));
  });
});
